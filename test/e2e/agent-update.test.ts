// Updates on real rootless Podman, through the built CLI as the test user: an unhealthy release
// rolls back to the previous image and config with the data kept, a pin holds the version against
// update, reconcile and reinstall, and a healthy release updates. Then the daemon: the CLI goes
// through its socket and its passes bring a stopped container back. Names and ports are `upd-`.
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'

import type { Exec } from '../../node-agent/exec.js'
import type { RegistryNode } from '../../registry/index.js'
import { runCli } from '../support/cli.js'
import { ensureExampleImages, makeTestUserRoot, startBedRegistry } from '../support/e2e-bed.js'
import {
  describePodman,
  podmanAsTestUser,
  podmanReadiness,
  prepareReadableCopy,
  runArchyAsTestUser,
} from '../support/podman-user.js'

const HELLO = path.resolve('examples/apps/hello-web')
const APP = 'upd-web'
const PORT = 18480

/** A hello-web variant: `healthPath` is what its http check asks for (a 404 never passes). */
function writeRelease(dir: string, version: string, healthPath: string): string {
  const folder = path.join(dir, version)
  mkdirSync(folder, { recursive: true })
  copyFileSync(path.join(HELLO, 'image.tar'), path.join(folder, 'image.tar'))
  const manifest = `app:
  id: ${APP}
  name: Update test
  version: ${version}
  container:
    image: file:image.tar
    network: upd-net
    command: [sh, -c, 'trap "exit 0" TERM; httpd -f -p 8080 -h /www & wait']
    data_uid: 1000
  ports:
    - { host: ${PORT}, container: 8080 }
  volumes:
    - { type: bind, source: /var/lib/archipelago/${APP}/www, target: /www, options: [rw] }
  environment:
    - { key: RELEASE, value: "${version}" }
  files:
    - { path: /var/lib/archipelago/${APP}/www/index.html, content: "first page\\n" }
  health_check: { type: http, endpoint: http://localhost:8080, path: ${healthPath},
                  interval: 1s, timeout: 2s, retries: 2 }
`
  const file = path.join(folder, 'manifest.yml')
  writeFileSync(file, manifest)
  return file
}

describePodman('archy agent update on rootless Podman', () => {
  let registry: RegistryNode
  let asUser: Exec
  let root: string
  let work: string
  let key: string
  let place: string[]

  const archy = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
    const result = await runArchyAsTestUser([...args, ...place], { timeoutMs: 300_000 })
    return { code: result.code, out: result.stdout, err: result.stderr }
  }
  const ok = async (...args: string[]): Promise<string> => {
    const result = await archy(...args)
    if (result.code !== 0) throw new Error(`archy ${args.join(' ')}: ${result.err}`)
    return result.out.trim()
  }
  const publish = async (version: string, healthPath: string): Promise<void> => {
    const file = writeRelease(work, version, healthPath)
    const result = await runCli(['publish', file, '--key', key, '--registry', registry.url])
    expect(result.out, result.err).toMatch(/registry: accepted/)
  }
  const status = async (): Promise<Record<string, unknown>> => {
    const all = JSON.parse(await ok('agent', 'status', '--json'))
    return all.apps.find((app: { appId: string }) => app.appId === APP)
  }
  const page = async (): Promise<string> => {
    const response = await fetch(`http://127.0.0.1:${PORT}/`, {
      signal: AbortSignal.timeout(10_000),
    })
    return response.text()
  }
  const containerState = async (): Promise<string> => {
    const result = await asUser('podman', ['inspect', '--format', '{{.State.Status}}', APP])
    return result.stdout.trim()
  }
  const runningRelease = async (): Promise<string> => {
    const format = '{{range .Config.Env}}{{println .}}{{end}}'
    const env = await asUser('podman', ['inspect', '--format', format, APP])
    return /^RELEASE=(.*)$/m.exec(env.stdout)?.[1] ?? ''
  }

  beforeAll(async () => {
    asUser = podmanAsTestUser()
    await cleanUp(asUser)
    ;({ root, place } = await makeTestUserRoot(asUser, 'upd-agent'))
    ensureExampleImages()
    ;({ work, registry, key } = await startBedRegistry('upd-node'))
    await publish('1.0.0', '/')
    await ok('agent', 'add-registry', registry.url, '--did', registry.did)
    await ok('agent', 'install', APP)
    // The app's own change to its data, which every step below must keep.
    await asUser('podman', ['unshare', 'sh', '-c', `echo kept > ${root}/apps/${APP}/www/note`])
  }, 300_000)

  afterAll(async () => {
    await registry?.close()
    if (asUser) await cleanUp(asUser)
    if (root) await asUser('podman', ['unshare', 'rm', '-rf', root], { allowFailure: true })
  }, 120_000)

  it('shows a newer release as available and leaves it alone without auto-update', async () => {
    await publish('1.1.0', '/missing')
    const pass = await ok('agent', 'reconcile')
    expect(pass).toBe('nothing to do')
    const app = await status()
    expect(app).toMatchObject({ version: '1.0.0', updateAvailable: '1.1.0', autoUpdate: false })
    expect(await runningRelease()).toBe('1.0.0')
  }, 120_000)

  it('rolls an unhealthy release back to the previous image and config, data kept', async () => {
    const result = await archy('agent', 'update', APP)
    expect(result.code, result.err).toBe(1)
    expect(result.out).toMatch(/rolled back upd-web to 1\.0\.0: 1\.1\.0 failed: .*not healthy/)
    // ext4 here cannot reflink: the update says it went on without a snapshot.
    expect(result.err).toMatch(/warning: no data snapshot: .* cannot make reflink copies/)

    expect(await runningRelease()).toBe('1.0.0')
    expect(await page()).toBe('first page\n')
    const note = await fetch(`http://127.0.0.1:${PORT}/note`)
    expect(await note.text()).toBe('kept\n')
    const app = await status()
    expect(app).toMatchObject({
      version: '1.0.0',
      pendingVersion: null,
      lastUpdate: { from: '1.0.0', to: '1.1.0', state: 'rolled-back' },
    })
    const names = await asUser('podman', ['ps', '-a', '--format', '{{.Names}}'])
    expect(names.stdout.split('\n').filter((name) => name === APP)).toHaveLength(1)
  }, 180_000)

  it('holds a pinned version against update, reconcile and reinstall', async () => {
    await publish('1.2.0', '/')
    expect(await ok('agent', 'pin', APP)).toBe('pinned upd-web to 1.0.0')
    expect(await ok('agent', 'update', APP)).toBe('upd-web: pinned (pinned to 1.0.0)')
    await ok('agent', 'auto-update', APP, 'on')
    await ok('agent', 'reconcile')
    await ok('agent', 'install', APP)
    expect(await runningRelease()).toBe('1.0.0')
    expect(await status()).toMatchObject({ version: '1.0.0', pinnedVersion: '1.0.0' })
  }, 180_000)

  it('updates to a healthy release once unpinned, keeping the data', async () => {
    await ok('agent', 'auto-update', APP, 'off')
    await ok('agent', 'unpin', APP)
    expect(await ok('agent', 'update', APP)).toBe('updated upd-web 1.0.0 -> 1.2.0')
    expect(await runningRelease()).toBe('1.2.0')
    const note = await fetch(`http://127.0.0.1:${PORT}/note`)
    expect(await note.text()).toBe('kept\n')
    expect(await status()).toMatchObject({
      version: '1.2.0',
      updateAvailable: null,
      lastUpdate: { from: '1.0.0', to: '1.2.0', state: 'updated' },
    })
  }, 180_000)

  it('runs as a daemon: the CLI goes through its socket, its passes restart a stopped container', async () => {
    const ready = podmanReadiness()
    const copy = await prepareReadableCopy()
    const command = [process.execPath, path.join(copy, 'bin', 'archy.js'), 'agent', 'run']
    const args = [...command.slice(1), '--interval', '1', ...place]
    const env = [`XDG_RUNTIME_DIR=${ready.runtimeDir}`, `HOME=${ready.home}`]
    const child =
      process.getuid?.() === 0
        ? spawn('runuser', ['-u', ready.user!, '--', 'env', ...env, command[0]!, ...args], {
            detached: true,
            stdio: 'ignore',
          })
        : spawn(command[0]!, args, { detached: true, stdio: 'ignore' })
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
    const socket = `${root}/state/agent.sock`
    try {
      await until(() => existsSync(socket), 'the daemon socket')
      expect(statSync(socket).mode & 0o777).toBe(0o600)
      expect(statSync(`${root}/state`).mode & 0o777).toBe(0o700)

      // The daemon holds the state lock: these succeed only through its socket.
      expect(await status()).toMatchObject({ version: '1.2.0' })
      await asUser('podman', ['stop', '--time', '1', APP])
      await until(async () => (await containerState()) === 'running', 'the restart by a pass')
      expect(await page()).toBe('first page\n')

      await ok('agent', 'stop', APP)
      await ok('agent', 'reconcile')
      expect(await containerState()).not.toBe('running')
      await ok('agent', 'start', APP)
      expect(await containerState()).toBe('running')
    } finally {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM')
    }
    // runuser re-raises the SIGTERM it forwarded; the daemon's clean stop removes its socket.
    await exited
    expect(existsSync(socket)).toBe(false)
  }, 180_000)

  it('moves to a pinned older release, verified from the registry, with the data kept', async () => {
    expect(await ok('agent', 'pin', APP, '1.0.0')).toBe(
      'pinned upd-web to 1.0.0; 1.2.0 is installed: archy agent update upd-web moves to it',
    )
    expect(await ok('agent', 'update', APP)).toBe('updated upd-web 1.2.0 -> 1.0.0')
    expect(await runningRelease()).toBe('1.0.0')
    const note = await fetch(`http://127.0.0.1:${PORT}/note`)
    expect(await note.text()).toBe('kept\n')
    const refused = await archy('agent', 'pin', APP, '0.9.0')
    expect(refused.code).toBe(1)
    expect(refused.err).toMatch(
      /upd-web 0\.9\.0 is not among the releases http:\/\/127\.0\.0\.1:\d+ has/,
    )
  }, 180_000)
})

/** Polls a condition every 200 ms, for at most 60 s (a bound on a wait, not a timing claim). */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let tries = 0; tries < 300; tries += 1) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`gave up waiting for ${what}`)
}

async function cleanUp(asUser: Exec): Promise<void> {
  await asUser('podman', ['rm', '-f', '--ignore', APP], { allowFailure: true })
  await asUser('podman', ['network', 'rm', '-f', 'upd-net'], { allowFailure: true })
}
