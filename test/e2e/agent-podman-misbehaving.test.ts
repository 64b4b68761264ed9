// The agent on a Podman that misbehaves (test/support/podman-wrapper.ts, first on the test user's
// PATH, forwarding to the real rootless Podman): reads that fail now and then are retried, a run
// is never retried blindly but is after its network vanished, and a `ps` that hangs times out
// (ARCHY_PODMAN_TIMEOUT_MS), its process killed, while status still lists every installed app.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'

import type { Exec } from '../../node-agent/exec.js'
import type { RegistryNode } from '../../registry/index.js'
import { runCli } from '../support/cli.js'
import { ensureExampleImages, makeTestUserRoot, startBedRegistry } from '../support/e2e-bed.js'
import { FLT_PORTS, removeFaultImageNames, writeFaultApp } from '../support/fault-apps.js'
import {
  describePodman,
  podmanAsTestUser,
  podmanReadiness,
  prepareReadableCopy,
  runArchyAsTestUser,
} from '../support/podman-user.js'
import { installPodmanWrapper, type PodmanWrapper } from '../support/podman-wrapper.js'

const APP = 'flt-pm-web'
const NETWORK = 'flt-pm-net'
const URL = `http://127.0.0.1:${FLT_PORTS.misbehaving}/`
const READS = ['ps', 'image-inspect', 'image-exists', 'network-exists', 'secret-inspect', 'info']

describePodman('archy agent on a Podman that hangs or fails', () => {
  let registry: RegistryNode
  let asUser: Exec
  let wrapper: PodmanWrapper
  let root: string
  let place: string[]

  const archy = (args: string[], env: Record<string, string> = {}) =>
    runArchyAsTestUser([...args, ...place], {
      env: { PATH: wrapper.path, ...env },
      timeoutMs: 300_000,
    })
  const containers = async (): Promise<string[]> => {
    const listed = await asUser('podman', ['ps', '-a', '--format', '{{.Names}}'])
    return listed.stdout.split('\n').filter((name) => name === APP)
  }
  const expectServing = async (): Promise<void> => {
    expect(await containers()).toHaveLength(1)
    const page = await fetch(URL, { signal: AbortSignal.timeout(10_000) })
    expect(await page.text()).toBe('fault page\n')
  }

  beforeAll(async () => {
    asUser = podmanAsTestUser()
    await cleanUp(asUser)
    ;({ root, place } = await makeTestUserRoot(asUser, 'flt-misbehaving'))
    wrapper = await installPodmanWrapper(asUser, `${root}/bin`)
    await wrapper.control({})

    ensureExampleImages()
    const started = await startBedRegistry('flt-misbehaving-node')
    registry = started.registry
    const { work, key } = started
    const names = { id: APP, port: FLT_PORTS.misbehaving, network: NETWORK }
    const manifest = writeFaultApp(work, '1.0.0', 'healthy', names)
    const published = await runCli([
      'publish',
      ...manifest,
      '--key',
      key,
      '--registry',
      registry.url,
    ])
    expect(published.out, published.err).toMatch(/registry: accepted/)
    const follow = await archy(['agent', 'add-registry', registry.url, '--did', registry.did])
    expect(follow.code, follow.stderr).toBe(0)
  }, 300_000)

  afterAll(async () => {
    await registry?.close()
    if (asUser) await cleanUp(asUser)
    if (root) await asUser('podman', ['unshare', 'rm', '-rf', root], { allowFailure: true })
  }, 120_000)

  it('refuses an ARCHY_PODMAN_TIMEOUT_MS that is not a number of milliseconds', async () => {
    const refused = await archy(['agent', 'install', APP], { ARCHY_PODMAN_TIMEOUT_MS: 'soon' })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(
      'ARCHY_PODMAN_TIMEOUT_MS: must be a whole number of milliseconds from 100 to 3600000, ' +
        'got "soon"',
    )
    expect(await containers()).toEqual([])
  })

  it('retries reads that fail every other time, and the install converges', async () => {
    await wrapper.control({ failEvery: 2, failOnly: READS })
    await wrapper.takeCalls()
    const installed = await archy(['agent', 'install', APP])
    expect(installed.code, installed.stderr.slice(-500)).toBe(0)
    const calls = await wrapper.takeCalls()
    // Half of the reads failed: each was asked again at once, and nothing else was.
    const repeated = calls.filter((line, index) => index > 0 && line === calls[index - 1])
    expect(repeated.length).toBeGreaterThan(2)
    for (const line of repeated) expect(READS.some((read) => keyOf(line) === read)).toBe(true)
    await wrapper.control({})
    await expectServing()
  }, 180_000)

  it('never retries a failed run within a pass; the next one converges', async () => {
    expect((await archy(['agent', 'uninstall', APP])).code).toBe(0)
    await wrapper.control({ failEvery: 1, failOnly: ['run'] })
    await wrapper.takeCalls()
    const failed = await archy(['agent', 'install', APP])
    expect(failed.code).toBe(1)
    expect(failed.stderr).toContain('injected failure of podman run')
    expect((await wrapper.takeCalls()).filter((line) => line.startsWith('run '))).toHaveLength(1)
    expect(await containers()).toEqual([])

    await wrapper.control({})
    const retried = await archy(['agent', 'reconcile'])
    expect(retried.code, retried.stderr.slice(-500)).toBe(0)
    await expectServing()
  }, 180_000)

  it('makes the network again when it vanished just before the run, and runs once more', async () => {
    // Uninstall removes the network, install makes it, and the wrapper removes it again right
    // before `podman run`, as another agent's `network rm` did in the gate.
    expect((await archy(['agent', 'uninstall', APP])).code).toBe(0)
    await wrapper.control({ dropNetworkBeforeRun: NETWORK })
    await wrapper.takeCalls()
    const installed = await archy(['agent', 'install', APP])
    expect(installed.code, installed.stderr.slice(-500)).toBe(0)
    const calls = await wrapper.takeCalls()
    const first = calls.findIndex((line) => line.startsWith('run '))
    expect(calls.slice(first, first + 4).map(keyOf)).toEqual([
      'run',
      'network-exists',
      'network-create',
      'run',
    ])
    await expectServing()
  }, 180_000)

  it('times out a hanging ps, kills it, and status still lists the app', async () => {
    await wrapper.control({ hang: ['ps'] })
    const status = await archy(['agent', 'status', '--json'], { ARCHY_PODMAN_TIMEOUT_MS: '1000' })
    expect(status.code, status.stderr).toBe(0)
    const parsed = JSON.parse(status.stdout)
    expect(parsed.apps.map((app: { appId: string }) => app.appId)).toEqual([APP])
    expect(parsed.apps[0].members[0].state).toBe('unknown')
    expect(parsed.podmanError).toBe('podman ps -a --format json: timed out after 1000 ms')
    await expectGone(asUser, wrapper.hungPidFile)

    const pass = await archy(['agent', 'reconcile'], { ARCHY_PODMAN_TIMEOUT_MS: '1000' })
    expect(pass.code).toBe(1)
    expect(pass.stderr).toContain(`${APP}: cannot list containers: podman ps -a --format json`)
    expect(pass.stdout).not.toContain('nothing to do')
    await expectGone(asUser, wrapper.hungPidFile)
    await wrapper.control({})
    await expectServing()
  }, 180_000)

  it('in the daemon, answers status during the hang and leaves no process behind', async () => {
    const ready = podmanReadiness()
    const copy = await prepareReadableCopy()
    const args = [
      path.join(copy, 'bin', 'archy.js'),
      'agent',
      'run',
      '--interval',
      '3600',
      ...place,
    ]
    const env = [
      `XDG_RUNTIME_DIR=${ready.runtimeDir}`,
      `HOME=${ready.home}`,
      `PATH=${wrapper.path}`,
      'ARCHY_PODMAN_TIMEOUT_MS=1000',
    ]
    const child = spawn(
      'runuser',
      ['-u', ready.user!, '--', 'env', ...env, process.execPath, ...args],
      {
        detached: true,
        stdio: 'ignore',
      },
    )
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
    try {
      await until(() => existsSync(`${root}/state/agent.sock`), 'the daemon socket')
      await wrapper.control({ hang: ['ps'] })
      for (let round = 0; round < 3; round += 1) {
        const status = await archy(['agent', 'status', '--json'])
        expect(status.code, status.stderr).toBe(0)
        const parsed = JSON.parse(status.stdout)
        expect(parsed.apps.map((app: { appId: string }) => app.appId)).toEqual([APP])
        expect(parsed.apps[0].members[0].state).toBe('unknown')
        expect(parsed.podmanError).toMatch(/^podman ps -a --format json: timed out after 1000 ms/)
        await expectGone(asUser, wrapper.hungPidFile)
      }
      // The daemon reaped every timed-out child: none is left as a zombie.
      const daemon = findChild(child.pid!, 'node')
      expect(listChildren(daemon).filter((process) => process.state.startsWith('Z'))).toEqual([])
      await wrapper.control({})
      const status = JSON.parse((await archy(['agent', 'status', '--json'])).stdout)
      expect(status.apps[0].members[0].state).toBe('running')
    } finally {
      await wrapper.control({})
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM')
    }
    await exited
  }, 180_000)
})

/** A wrapper log line's subcommand, as the wrapper keys it (`network-create`). */
function keyOf(line: string): string {
  const [first, second] = line.split(' ')
  const grouped = ['image', 'network', 'secret', 'volume', 'container']
  return grouped.includes(first ?? '') ? `${first}-${second}` : (first ?? '')
}

/** The hung call's sleeping child is gone: its process group was killed on the timeout. */
async function expectGone(asUser: Exec, pidFile: string): Promise<void> {
  const pid = (await asUser('cat', [pidFile])).stdout.trim()
  expect(pid).toMatch(/^\d+$/)
  await until(() => !existsSync(`/proc/${pid}`), `the hung call's process ${pid} to end`)
  await asUser('rm', ['-f', pidFile])
}

/** The pid of the child of `parent` running `command`. */
function findChild(parent: number, command: string): number {
  const found = listChildren(parent).find((child) => child.command === command)
  if (!found) throw new Error(`no ${command} child of ${parent}`)
  return found.pid
}

function listChildren(parent: number): { pid: number; state: string; command: string }[] {
  // ps exits 1 when no process matches: no children.
  const listed = spawnSync('ps', ['-o', 'pid=,stat=,comm=', '--ppid', String(parent)], {
    encoding: 'utf8',
  })
  return listed.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length === 3)
    .map(([pid, state, command]) => ({ pid: Number(pid), state: state!, command: command! }))
}

/** Polls a condition every 100 ms, for at most 30 s (a bound on a wait, not a timing claim). */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let tries = 0; tries < 300; tries += 1) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`gave up waiting for ${what}`)
}

async function cleanUp(asUser: Exec): Promise<void> {
  await asUser('podman', ['rm', '-f', '--ignore', APP], { allowFailure: true })
  await asUser('podman', ['network', 'rm', '-f', NETWORK], { allowFailure: true })
  await removeFaultImageNames(asUser, [APP])
}
