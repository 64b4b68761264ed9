// Fault injection on a first install, on real rootless Podman: before each kill point the node is
// brought back to nothing (uninstall --purge, the fetched artifacts and the app's image names
// removed), so the download, `podman load` and tag, the network, the data directories and the
// secret are all made by the killed run. After every SIGKILL the next `agent install` finishes:
// one container per member, each data directory and secret made once and kept, the page served.
import { createHash } from 'node:crypto'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'

import type { Exec } from '../../node-agent/exec.js'
import type { RegistryNode } from '../../registry/index.js'
import { runCli } from '../support/cli.js'
import { ensureExampleImages, makeTestUserRoot, startBedRegistry } from '../support/e2e-bed.js'
import { removeFaultImageNames } from '../support/fault-apps.js'
import { describePodman, podmanAsTestUser, runArchyAsTestUser } from '../support/podman-user.js'
import { writeGateExamples } from '../gate/gate-apps.js'

const PREFIX = 'fresh'
const PORT_BASE = 38100
const MAX_CALLS = 120

interface FaultApp {
  /** The app installed (a stack's primary). */
  id: string
  /** Each member and the bind-mounted data directory (under its own) that must be made once. */
  members: { id: string; dataDir: string }[]
  url: string
  network: string
  /** The generated secret: its file under the state, and the Podman secret's name. */
  secret?: { file: string; podmanName: string }
  /** Judges the page, given the secret's value when the app has one. */
  check(body: string, secret: string | undefined): boolean
}

const HELLO: FaultApp = {
  id: `${PREFIX}-hello-web`,
  members: [{ id: `${PREFIX}-hello-web`, dataDir: 'www' }],
  url: `http://127.0.0.1:${PORT_BASE + 80}/`,
  network: `${PREFIX}-net`,
  check: (body) => body.includes('Hello from Archipelago'),
}

const NOTES: FaultApp = {
  id: `${PREFIX}-notes-web`,
  members: [
    { id: `${PREFIX}-notes-api`, dataDir: 'data' },
    { id: `${PREFIX}-notes-web`, dataDir: 'www' },
  ],
  url: `http://127.0.0.1:${PORT_BASE + 81}/cgi-bin/value`,
  network: `${PREFIX}-notes-net`,
  secret: {
    file: `secrets/${PREFIX}-notes-api/${PREFIX}-notes-token`,
    podmanName: `archy.${PREFIX}-notes-api.${PREFIX}-notes-token`,
  },
  // notes-api's post_install hook writes `value-<16 hex of sha256(secret)>`, read through the
  // container's environment, so the page shows the Podman secret matches the file.
  check: (body, secret) =>
    secret !== undefined &&
    body.trim() === `value-${createHash('sha256').update(secret).digest('hex').slice(0, 16)}`,
}

/** What a killed run left: each path's inode (or `-`), and the secret file's value. */
interface Leftovers {
  inodes: Map<string, string>
  secret: string | undefined
}

describePodman('archy agent first install killed between external calls', () => {
  let registry: RegistryNode
  let asUser: Exec
  let root: string
  let place: string[]
  let work: string

  const archy = (args: string[], env: Record<string, string> = {}) =>
    runArchyAsTestUser([...args, ...place], { env, timeoutMs: 300_000 })
  const ok = async (...args: string[]): Promise<string> => {
    const result = await archy(args)
    expect(result.code, `archy ${args.join(' ')}: ${result.stderr}`).toBe(0)
    return result.stdout
  }
  const containersNamed = async (name: string): Promise<string[]> => {
    const listed = await asUser('podman', ['ps', '-a', '--format', 'json'])
    const all = JSON.parse(listed.stdout || '[]') as { Names: string[]; Id: string }[]
    return all.filter((container) => container.Names.includes(name)).map((c) => c.Id)
  }
  const secretsNamed = async (name: string): Promise<number> => {
    const listed = await asUser('podman', ['secret', 'ls', '--format', '{{.Name}}'])
    return listed.stdout.split('\n').filter((line) => line === name).length
  }
  const readSecret = async (app: FaultApp): Promise<string | undefined> => {
    if (!app.secret) return undefined
    const file = `${root}/state/${app.secret.file}`
    const read = await asUser('cat', [file], { allowFailure: true })
    return read.exitCode === 0 ? read.stdout : undefined
  }
  const dataPaths = (app: FaultApp): string[] =>
    app.members.flatMap((member) => {
      const own = path.join(root, 'apps', member.id)
      return [own, path.join(own, member.dataDir)]
    })

  /** Each data path's inode (`-` where absent) and the secret, as the killed run left them. */
  const readLeftovers = async (app: FaultApp): Promise<Leftovers> => {
    const paths = dataPaths(app)
    const script = 'for d; do stat -c %i "$d" 2>/dev/null || echo -; done'
    const stat = await asUser('podman', ['unshare', 'sh', '-c', script, 'sh', ...paths])
    const inodes = stat.stdout.trim().split('\n')
    return {
      inodes: new Map(paths.map((dir, index) => [dir, inodes[index] ?? '-'])),
      secret: await readSecret(app),
    }
  }

  /** Back to nothing: no install, data, secret, network, fetched artifact or image name of it. */
  const resetNode = async (app: FaultApp): Promise<void> => {
    await ok('agent', 'uninstall', app.id, '--purge')
    await asUser('rm', ['-rf', `${root}/state/artifacts`])
    await removeFaultImageNames(
      asUser,
      app.members.map((member) => member.id),
    )
    for (const member of app.members) expect(await containersNamed(member.id)).toEqual([])
    const left = await readLeftovers(app)
    expect([...left.inodes.values()].every((inode) => inode === '-')).toBe(true)
    expect(left.secret).toBeUndefined()
    if (app.secret) expect(await secretsNamed(app.secret.podmanName)).toBe(0)
    const networks = await asUser('podman', ['network', 'ls', '--format', '{{.Name}}'])
    expect(networks.stdout.split('\n')).not.toContain(app.network)
  }

  /**
   * Installs `app` from nothing, killed after its Nth external call for N = 1, 2, ... until a run
   * ends by itself; after each, a second install must converge on what the first one made.
   * Counts the killed runs, and those that left a data directory, the secret or some members'
   * containers (not all) behind.
   */
  const killEachCallOfFirstInstall = async (app: FaultApp) => {
    const counts = { killedRuns: 0, leftData: 0, leftSecret: 0, leftHalf: 0 }
    for (let calls = 1; calls <= MAX_CALLS; calls += 1) {
      const at = `killed after call ${calls}`
      const killed = await archy(['agent', 'install', app.id, '--mode', 'podman'], {
        ARCHY_TEST_KILL_AFTER_CALLS: String(calls),
      })
      const finished = killed.code === 0
      if (!finished) expect(killed.code, `${at}: ${killed.stderr}`).toBe(137)

      // What the killed run made, and a file written into each data directory it made.
      const left = await readLeftovers(app)
      const running = await Promise.all(app.members.map((m) => containersNamed(m.id)))
      const half = running.some((ids) => ids.length === 0) && running.some((ids) => ids.length > 0)
      const made = app.members
        .map((member) => path.join(root, 'apps', member.id, member.dataDir))
        .filter((dir) => left.inodes.get(dir) !== '-')
      for (const dir of made) {
        const file = path.join(dir, 'crash-marker')
        await asUser('podman', ['unshare', 'sh', '-c', 'echo kept > "$1"', 'sh', file])
      }

      // The user's retry (or the daemon's next pass) finishes what the killed run began.
      const retry = await archy(['agent', 'install', app.id, '--mode', 'podman'])
      expect(retry.code, `${at}: ${retry.stderr}`).toBe(0)
      for (const member of app.members) {
        expect(await containersNamed(member.id), `${at}: ${member.id}`).toHaveLength(1)
      }
      const after = await readLeftovers(app)
      for (const [dir, inode] of left.inodes) {
        if (inode !== '-') expect(after.inodes.get(dir), `${at}: ${dir} made again`).toBe(inode)
      }
      for (const dir of made) {
        const marker = await asUser('podman', ['unshare', 'cat', path.join(dir, 'crash-marker')])
        expect(marker.stdout, `${at}: ${dir}`).toBe('kept\n')
      }
      if (app.secret) {
        expect(after.secret, `${at}: secret file`).toBeDefined()
        if (left.secret !== undefined) expect(after.secret, `${at}: secret`).toBe(left.secret)
        expect(await secretsNamed(app.secret.podmanName), `${at}: Podman secrets`).toBe(1)
      }
      const page = await fetch(app.url, { signal: AbortSignal.timeout(10_000) })
      const body = await page.text()
      expect(page.status, `${at}: ${body}`).toBe(200)
      expect(app.check(body, after.secret), `${at}: ${body}`).toBe(true)

      await resetNode(app)
      if (finished) break
      counts.killedRuns += 1
      if (made.length > 0) counts.leftData += 1
      if (left.secret !== undefined) counts.leftSecret += 1
      if (half) counts.leftHalf += 1
    }
    return counts
  }

  beforeAll(async () => {
    asUser = podmanAsTestUser()
    await cleanUp(asUser)
    ;({ root, place } = await makeTestUserRoot(asUser, 'fresh-agent'))

    ensureExampleImages()
    const started = await startBedRegistry('archy-fresh-node')
    registry = started.registry
    work = started.work
    const { key } = started
    const examples = path.resolve('examples/apps')
    for (const files of writeGateExamples(examples, `${work}/apps`, PREFIX, PORT_BASE)) {
      const published = await runCli([
        'publish',
        ...files,
        '--key',
        key,
        '--registry',
        registry.url,
      ])
      expect(published.out, published.err).toMatch(/registry: accepted/)
    }
    await ok('agent', 'add-registry', registry.url, '--did', registry.did)
  }, 300_000)

  afterAll(async () => {
    await registry?.close()
    if (work) rmSync(work, { recursive: true, force: true })
    if (asUser) await cleanUp(asUser)
    if (root) await asUser('podman', ['unshare', 'rm', '-rf', root], { allowFailure: true })
  }, 120_000)

  it('converges after a SIGKILL following any external call of a first install', async () => {
    const started = Date.now()
    const counts = await killEachCallOfFirstInstall(HELLO)
    console.log(`first install: ${JSON.stringify(counts)}, ${Date.now() - started} ms`)
    expect(counts.killedRuns).toBeGreaterThan(5)
    expect(counts.killedRuns).toBeLessThan(MAX_CALLS)
    // Some runs were killed after the data directory was made, before the container ran.
    expect(counts.leftData).toBeGreaterThan(0)
  }, 2_400_000)

  it('finishes a half-installed stack after a SIGKILL after any call, never twice', async () => {
    const started = Date.now()
    const counts = await killEachCallOfFirstInstall(NOTES)
    console.log(`stack install: ${JSON.stringify(counts)}, ${Date.now() - started} ms`)
    expect(counts.killedRuns).toBeGreaterThan(10)
    expect(counts.killedRuns).toBeLessThan(MAX_CALLS)
    expect(counts.leftData).toBeGreaterThan(0)
    expect(counts.leftSecret).toBeGreaterThan(0)
    // Some runs were killed with one member's container made and the other's not.
    expect(counts.leftHalf).toBeGreaterThan(0)
  }, 2_400_000)
})

/** Removes what these tests may have left as the test user. */
async function cleanUp(asUser: Exec): Promise<void> {
  const members = [...HELLO.members, ...NOTES.members].map((member) => member.id)
  for (const name of members) {
    await asUser('podman', ['rm', '-f', '--ignore', name], { allowFailure: true })
  }
  for (const network of [HELLO.network, NOTES.network]) {
    await asUser('podman', ['network', 'rm', '-f', network], { allowFailure: true })
  }
  await asUser('podman', ['secret', 'rm', NOTES.secret!.podmanName], { allowFailure: true })
  await removeFaultImageNames(asUser, members)
}
