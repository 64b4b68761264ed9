// Adoption on real rootless Podman (DESIGN.md §5): a container started by hand under a legacy name
// is taken over by `agent install` as it is (same container, data untouched) and shown adopted;
// the next config change (an update) recreates it under the app id with the agent's labels, and
// status then says migrated.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'

import { AGENT_LABEL, CONFIG_HASH_LABEL } from '../../node-agent/config-hash.js'
import { APP_LABEL, VERSION_LABEL } from '../../node-agent/container-spec.js'
import type { Exec } from '../../node-agent/exec.js'
import type { RegistryNode } from '../../registry/index.js'
import { runCli } from '../support/cli.js'
import {
  EXAMPLE_APPS,
  ensureExampleImages,
  makeTestUserRoot,
  startBedRegistry,
} from '../support/e2e-bed.js'
import { removeFaultImageNames } from '../support/fault-apps.js'
import { describePodman, podmanAsTestUser, runArchyAsTestUser } from '../support/podman-user.js'

const APP = 'adopt-hello'
const LEGACY = 'adopt-legacy-hello'
const NETWORK = 'adopt-net'
const PORT = 38190
const EXAMPLE_IMAGE = 'localhost/archy-busybox:1'
const SERVE = 'trap "exit 0" TERM; httpd -f -p 8080 -h /www & wait'

interface Listed {
  Id: string
  Names: string[]
  State: string
  Labels: Record<string, string> | null
}

/** Writes the app at `version`, which names the hand-made container as a legacy name. */
function writeAdoptApp(dir: string, version: string): string[] {
  const folder = path.join(dir, APP, version)
  mkdirSync(folder, { recursive: true })
  copyFileSync(path.join(EXAMPLE_APPS, 'hello-web', 'image.tar'), path.join(folder, 'image.tar'))
  const manifest = `app:
  id: ${APP}
  name: Adoption test web
  version: ${version}
  container:
    image: file:image.tar
    legacy_names: [${LEGACY}]
    network: ${NETWORK}
    command: [sh, -c, '${SERVE}']
  ports:
    - { host: ${PORT}, container: 8080 }
  volumes:
    - { type: bind, source: /var/lib/archipelago/${APP}/www, target: /www, options: [rw] }
  files:
    - { path: /var/lib/archipelago/${APP}/www/index.html, content: "agent page\\n" }
  health_check: { type: http, endpoint: http://localhost:8080, path: /,
                  interval: 1s, timeout: 2s, retries: 2 }
`
  const file = path.join(folder, 'manifest.yml')
  writeFileSync(file, manifest)
  return [file]
}

describePodman('archy agent adopting a container made by hand', () => {
  let registry: RegistryNode
  let asUser: Exec
  let root: string
  let work: string
  let key: string
  let place: string[]
  let loadedExample = false

  const archy = (args: string[]) => runArchyAsTestUser([...args, ...place], { timeoutMs: 300_000 })
  const ok = async (...args: string[]): Promise<string> => {
    const result = await archy(args)
    expect(result.code, `archy ${args.join(' ')}: ${result.stderr}`).toBe(0)
    return result.stdout
  }
  const publish = async (version: string): Promise<void> => {
    const files = writeAdoptApp(work, version)
    const result = await runCli(['publish', ...files, '--key', key, '--registry', registry.url])
    expect(result.out, result.err).toMatch(/registry: accepted/)
  }
  const listOurs = async (): Promise<Listed[]> => {
    const listed = await asUser('podman', ['ps', '-a', '--format', 'json'])
    const all = JSON.parse(listed.stdout || '[]') as Listed[]
    return all.filter((c) => c.Names.includes(APP) || c.Names.includes(LEGACY))
  }
  const dataFile = (name: string) => path.join(root, 'apps', APP, 'www', name)
  const readData = async (name: string): Promise<string> =>
    (await asUser('podman', ['unshare', 'cat', dataFile(name)])).stdout
  const page = async (): Promise<string> => {
    const response = await fetch(`http://127.0.0.1:${PORT}/`, {
      signal: AbortSignal.timeout(10_000),
    })
    expect(response.status).toBe(200)
    return response.text()
  }
  const memberStatus = async () => {
    const status = JSON.parse(await ok('agent', 'status', '--json'))
    return status.apps.find((app: { appId: string }) => app.appId === APP).members[0]
  }

  beforeAll(async () => {
    asUser = podmanAsTestUser()
    await cleanUp(asUser)
    ;({ root, place } = await makeTestUserRoot(asUser, 'adopt-agent'))
    ensureExampleImages()
    ;({ work, registry, key } = await startBedRegistry('archy-adopt-node'))
    await publish('1.0.0')
    await ok('agent', 'add-registry', registry.url, '--did', registry.did)

    // The legacy install: the example image, data in the directory the app's manifest binds,
    // and a container run by hand under the legacy name, with none of the agent's labels.
    const present = await asUser('podman', ['image', 'exists', EXAMPLE_IMAGE], {
      allowFailure: true,
    })
    if (present.exitCode !== 0) {
      const archive = path.join(EXAMPLE_APPS, 'hello-web', 'image.tar')
      await asUser('podman', ['load', '-i', archive])
      loadedExample = true
    }
    const www = path.dirname(dataFile('index.html'))
    await asUser('mkdir', ['-p', www])
    await asUser('sh', ['-c', 'echo "legacy page" > "$1/index.html"', 'sh', www])
    await asUser('sh', ['-c', 'echo kept > "$1/marker"', 'sh', www])
    const publishPort = `127.0.0.1:${PORT}:8080`
    const run = ['run', '-d', '--name', LEGACY, '-p', publishPort, '-v', `${www}:/www`]
    await asUser('podman', [...run, EXAMPLE_IMAGE, 'sh', '-c', SERVE])
  }, 300_000)

  afterAll(async () => {
    await registry?.close()
    if (work) rmSync(work, { recursive: true, force: true })
    if (asUser) await cleanUp(asUser)
    if (asUser && loadedExample) {
      await asUser('podman', ['rmi', EXAMPLE_IMAGE], { allowFailure: true })
    }
    if (root) await asUser('podman', ['unshare', 'rm', '-rf', root], { allowFailure: true })
  }, 120_000)

  it('adopts a legacy container as it is, then migrates it at the next config change', async () => {
    const [legacy] = await listOurs()
    expect(legacy?.Names).toEqual([LEGACY])
    expect(legacy?.Labels?.[AGENT_LABEL]).toBeUndefined()
    expect(await page()).toBe('legacy page\n')

    // Install: the same container, still under its legacy name, data as it was.
    const installed = await ok('agent', 'install', APP, '--mode', 'podman')
    expect(installed).toMatch(/adopt/)
    expect(await listOurs()).toMatchObject([{ Id: legacy!.Id, Names: [LEGACY], State: 'running' }])
    expect(await readData('marker')).toBe('kept\n')
    expect(await readData('index.html')).toBe('legacy page\n')
    expect(await page()).toBe('legacy page\n')
    expect(await ok('agent', 'status')).toContain(
      `  ${APP}: running (adopted from ${LEGACY} at 1.0.0)`,
    )
    expect(await memberStatus()).toMatchObject({
      container: LEGACY,
      adopted: true,
      migration: { foundName: LEGACY, legacyName: true, version: '1.0.0', relabelledAt: null },
    })

    // A reconcile pass leaves an adopted container alone.
    await ok('agent', 'reconcile')
    expect((await listOurs()).map((container) => container.Id)).toEqual([legacy!.Id])

    // A config change (here an update) recreates it under the app id, with the agent's labels.
    await publish('1.1.0')
    expect(await ok('agent', 'update', APP)).toMatch(new RegExp(`^updated ${APP} `))
    const after = await listOurs()
    expect(after).toHaveLength(1)
    const [migrated] = after
    expect(migrated!.Id).not.toBe(legacy!.Id)
    expect(migrated!.Names).toEqual([APP])
    expect(migrated!.State).toBe('running')
    expect(migrated!.Labels?.[APP_LABEL]).toBe(APP)
    expect(migrated!.Labels?.[VERSION_LABEL]).toBe('1.1.0')
    expect(migrated!.Labels?.[AGENT_LABEL]).toMatch(/^[0-9a-f]{64}$/)
    expect(migrated!.Labels?.[CONFIG_HASH_LABEL]).toBeTruthy()
    expect(await readData('marker')).toBe('kept\n')
    expect(await page()).toBe('legacy page\n')
    expect(await ok('agent', 'status')).toContain(
      `  ${APP}: running (migrated from ${LEGACY} at 1.0.0)`,
    )
    expect(await memberStatus()).toMatchObject({
      container: APP,
      adopted: false,
      migration: { foundName: LEGACY, legacyName: true, version: '1.0.0' },
    })
    expect((await memberStatus()).migration.relabelledAt).toMatch(/^\d{4}-\d\d-\d\dT/)
  }, 600_000)
})

/** Removes what this test may have left as the test user. */
async function cleanUp(asUser: Exec): Promise<void> {
  for (const name of [APP, LEGACY]) {
    await asUser('podman', ['rm', '-f', '--ignore', name], { allowFailure: true })
  }
  await asUser('podman', ['network', 'rm', '-f', NETWORK], { allowFailure: true })
  await removeFaultImageNames(asUser, [APP])
}
