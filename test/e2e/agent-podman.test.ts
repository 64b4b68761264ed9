// The whole path on real rootless Podman: a registry node in a temp dir, a publisher's keys, the
// example apps published with the CLI, and the agent (as the test user, through the built CLI)
// installing them, reaching them over HTTP, stopping, starting, restarting, uninstalling (data
// kept, owned by data_uid), reinstalling (same data, edits and secret) and purging.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'

import type { Exec } from '../../node-agent/exec.js'
import type { RegistryNode } from '../../registry/index.js'
import { runCli } from '../support/cli.js'
import { ensureExampleImages, makeTestUserRoot, startBedRegistry } from '../support/e2e-bed.js'
import { describePodman, podmanAsTestUser, runArchyAsTestUser } from '../support/podman-user.js'

const EXAMPLES = path.resolve('examples/apps')
const CONTAINERS = ['hello-web', 'notes-web', 'notes-api']

describePodman('archy agent on rootless Podman', () => {
  let registry: RegistryNode
  let asUser: Exec
  let root: string
  let place: string[]

  const archy = async (...args: string[]): Promise<string> => {
    const result = await runArchyAsTestUser([...args, ...place], { timeoutMs: 300_000 })
    if (result.code !== 0) throw new Error(`archy ${args.join(' ')}: ${result.stderr}`)
    return result.stdout
  }
  const get = async (url: string): Promise<string> => {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) })
    expect(response.status).toBe(200)
    return response.text()
  }
  const secretValue = (): string =>
    readFileSync(path.join(root, 'state/secrets/notes-api/notes-token'), 'utf8')

  beforeAll(async () => {
    asUser = podmanAsTestUser()
    await cleanUp(asUser)
    ;({ root, place } = await makeTestUserRoot(asUser, 'archy-agent-e2e'))

    ensureExampleImages()
    const started = await startBedRegistry('archy-e2e-node')
    registry = started.registry
    const { key } = started
    const publish = (...files: string[]) =>
      runCli(['publish', ...files, '--key', key, '--registry', registry.url])
    const hello = await publish(`${EXAMPLES}/hello-web/manifest.yml`)
    expect(hello.out, hello.err).toMatch(/registry: accepted/)
    const notes = await publish(
      `${EXAMPLES}/notes/manifest.yml`,
      `${EXAMPLES}/notes/notes-api.manifest.yml`,
    )
    expect(notes.out, notes.err).toMatch(/registry: accepted/)
    // The catalog is re-signed shortly after a change.
    for (let tries = 0; tries < 50; tries += 1) {
      const catalog = await (await fetch(`${registry.url}/v1/catalog`)).json()
      if (catalog.apps.length === 2) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }, 300_000)

  afterAll(async () => {
    await registry?.close()
    if (asUser) await cleanUp(asUser)
    if (root) await asUser('podman', ['unshare', 'rm', '-rf', root], { allowFailure: true })
  }, 120_000)

  it('follows the registry with the pinned DID', async () => {
    const out = await archy('agent', 'add-registry', registry.url, '--did', registry.did)
    expect(out).toContain(`pinned ${registry.did}`)
  })

  it('installs hello-web and serves its page on 127.0.0.1:18080', async () => {
    await archy('agent', 'install', 'hello-web')
    expect(await get('http://127.0.0.1:18080/')).toContain('Hello from Archipelago')
  }, 300_000)

  it('reinstall reuses hello-web data: what was added or edited stays, data_uid owns it', async () => {
    const www = `${root}/apps/hello-web/www`
    // data_uid 1000 inside the user namespace owns the bind source and the files made for it.
    const owners = await asUser('podman', ['unshare', 'stat', '-c', '%u', www, `${www}/index.html`])
    expect(owners.stdout.trim().split('\n')).toEqual(['1000', '1000'])

    // So the test user writes as the namespace's root, as the app itself would.
    const edit = `echo marker > ${www}/marker.txt && echo '<h1>edited</h1>' > ${www}/index.html`
    await asUser('podman', ['unshare', 'sh', '-c', edit])
    await archy('agent', 'uninstall', 'hello-web')
    const ps = await asUser('podman', ['ps', '-a', '--format', '{{.Names}}'])
    expect(ps.stdout).not.toMatch(/hello-web/)

    await archy('agent', 'install', 'hello-web')
    expect(await get('http://127.0.0.1:18080/marker.txt')).toBe('marker\n')
    expect(await get('http://127.0.0.1:18080/')).toBe('<h1>edited</h1>\n')
    const after = await asUser('podman', ['unshare', 'stat', '-c', '%u', `${www}/index.html`])
    expect(after.stdout.trim()).toBe('1000')
  }, 300_000)

  it('installs the notes stack; the front end reads the backend value made from its secret', async () => {
    await archy('agent', 'install', 'notes-web')
    const value = (await get('http://127.0.0.1:18081/cgi-bin/value')).trim()
    const hash = createHash('sha256').update(secretValue()).digest('hex')
    expect(value).toBe(`value-${hash.slice(0, 16)}`)

    const status = JSON.parse(await archy('agent', 'status', '--json'))
    const notes = status.apps.find((app: { appId: string }) => app.appId === 'notes-web')
    expect(notes.members.map((m: { appId: string; state: string }) => [m.appId, m.state])).toEqual([
      ['notes-api', 'running'],
      ['notes-web', 'running'],
    ])
  }, 300_000)

  it('stops, starts and restarts the whole stack', async () => {
    await archy('agent', 'stop', 'notes-web')
    await expect(
      fetch('http://127.0.0.1:18081/', { signal: AbortSignal.timeout(5000) }),
    ).rejects.toThrow()
    const stopped = JSON.parse(await archy('agent', 'status', '--json'))
    const members = stopped.apps.find((app: { appId: string }) => app.appId === 'notes-web').members
    expect(members.every((m: { state: string }) => m.state !== 'running')).toBe(true)

    await archy('agent', 'start', 'notes-web')
    expect(await get('http://127.0.0.1:18081/cgi-bin/value')).toMatch(/^value-[0-9a-f]{16}/)
    await archy('agent', 'restart', 'notes-web')
    expect(await get('http://127.0.0.1:18081/cgi-bin/value')).toMatch(/^value-[0-9a-f]{16}/)
  }, 300_000)

  it('uninstall keeps data and secret; reinstall reuses them; purge deletes them', async () => {
    const before = (await get('http://127.0.0.1:18081/cgi-bin/value')).trim()
    const secret = secretValue()
    await archy('agent', 'uninstall', 'notes-web')
    expect(existsSync(path.join(root, 'apps/notes-api/data/value'))).toBe(true)
    const ps = await asUser('podman', ['ps', '-a', '--format', '{{.Names}}'])
    expect(ps.stdout).not.toMatch(/notes-/)

    await archy('agent', 'install', 'notes-web')
    expect(secretValue()).toBe(secret)
    expect((await get('http://127.0.0.1:18081/cgi-bin/value')).trim()).toBe(before)

    await archy('agent', 'uninstall', 'notes-web', '--purge')
    expect(existsSync(path.join(root, 'apps/notes-api'))).toBe(false)
    expect(existsSync(path.join(root, 'state/secrets/notes-api'))).toBe(false)
    const secrets = await asUser('podman', ['secret', 'ls', '--format', '{{.Name}}'])
    expect(secrets.stdout).not.toContain('archy.notes-api.notes-token')
  }, 300_000)
})

/** Removes what these tests may have left as the test user: containers, networks, secrets. */
async function cleanUp(asUser: Exec): Promise<void> {
  await asUser('podman', ['rm', '-f', '--ignore', ...CONTAINERS], { allowFailure: true })
  for (const network of ['notes-net', 'archy-net']) {
    await asUser('podman', ['network', 'rm', '-f', network], { allowFailure: true })
  }
  await asUser('podman', ['secret', 'rm', 'archy.notes-api.notes-token'], { allowFailure: true })
}
