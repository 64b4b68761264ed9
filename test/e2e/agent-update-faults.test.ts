// Fault injection during updates on real rootless Podman: `archy agent update` killed with SIGKILL
// after its Nth external call (ARCHY_TEST_KILL_AFTER_CALLS, node-agent/exec.ts), then the agent
// restarted (`agent reconcile`, the daemon's pass): every time one container per member, the data
// written before intact, and every member on the release the store names (new, or cleanly old).
import { createServer, type Server } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { Exec } from '../../node-agent/exec.js'
import type { RegistryNode } from '../../registry/index.js'
import { runCli } from '../support/cli.js'
import { ensureExampleImages, makeTestUserRoot, startBedRegistry } from '../support/e2e-bed.js'
import { describePodman, podmanAsTestUser, runArchyAsTestUser } from '../support/podman-user.js'
import { installPodmanWrapper, type PodmanWrapper } from '../support/podman-wrapper.js'
import {
  FLT_NETWORKS,
  FLT_PORTS,
  FLT_SECRET,
  writeFaultApp,
  removeFaultImageNames,
  writeFaultStack,
} from '../support/fault-apps.js'

const WEB = 'flt-web'
const STACK = ['flt-notes-api', 'flt-notes-web']
const MAX_CALLS = 120

interface Outcome {
  /** The version the store says is installed, which every member runs. */
  version: string
  lastUpdate: string
  /** Where the run was killed, and the Podman calls of the pass that followed. */
  killedAt?: number
  passCalls?: string[]
}

describePodman('archy agent update killed between Podman calls', () => {
  let registry: RegistryNode
  let asUser: Exec
  let wrapper: PodmanWrapper
  let root: string
  let work: string
  let key: string
  let place: string[]
  let blocker: Server

  const archy = (args: string[], env: Record<string, string> = {}) =>
    runArchyAsTestUser([...args, ...place], {
      env: { PATH: wrapper.path, ...env },
      timeoutMs: 300_000,
    })
  const ok = async (...args: string[]): Promise<string> => {
    const result = await archy(args)
    expect(result.code, `archy ${args.join(' ')}: ${result.stderr}`).toBe(0)
    return result.stdout
  }
  const publish = async (files: string[]): Promise<void> => {
    const result = await runCli(['publish', ...files, '--key', key, '--registry', registry.url])
    expect(result.out, result.err).toMatch(/registry: accepted/)
  }
  const readMarker = async (member: string): Promise<string> =>
    (await asUser('cat', [`${root}/apps/${member}/${markerPath(member)}`])).stdout

  /** One container per member, each running the installed release; returns what the store says. */
  const expectConverged = async (appId: string, members: string[], at: string) => {
    const status = JSON.parse(await ok('agent', 'status', '--json'))
    const app = status.apps.find((candidate: { appId: string }) => candidate.appId === appId)
    expect(app, at).toBeDefined()
    expect(app.pendingVersion, at).toBeNull()
    const lastUpdate = app.lastUpdate?.state ?? 'none'
    expect(['none', 'updated', 'rolled-back'], at).toContain(lastUpdate)
    if (lastUpdate === 'updated') expect(app.version, at).toBe(app.lastUpdate.to)
    if (lastUpdate === 'rolled-back') expect(app.version, at).toBe(app.lastUpdate.from)

    const listed = await asUser('podman', ['ps', '-a', '--format', 'json'])
    const all = JSON.parse(listed.stdout || '[]') as {
      Names: string[]
      State: string
      Labels: Record<string, string> | null
    }[]
    for (const member of members) {
      const named = all.filter((container) => container.Names.includes(member))
      expect(named, `${at}: containers named ${member}`).toHaveLength(1)
      expect(named[0]!.State, `${at}: ${member}`).toBe('running')
      expect(named[0]!.Labels?.['archy.version'], `${at}: ${member}'s release`).toBe(app.version)
      expect(await readMarker(member), `${at}: ${member}'s data`).toBe('kept\n')
    }
    for (const member of app.members) expect(member.current, `${at}: ${member.appId}`).toBe(true)
    return { version: app.version as string, lastUpdate } satisfies Outcome
  }

  /**
   * Runs `agent update` killed after call k, for each k in `points` (all of them when undefined)
   * until a run ends by itself; after each, a reconcile pass must converge. Returns the outcomes.
   */
  const killEachCall = async (
    appId: string,
    members: string[],
    nextRelease: () => Promise<void>,
    points?: number[],
  ): Promise<Outcome[]> => {
    const outcomes: Outcome[] = []
    const chosen = points ?? Array.from({ length: MAX_CALLS }, (_, i) => i + 1)
    for (const calls of chosen) {
      await nextRelease()
      const killed = await archy(['agent', 'update', appId], {
        ARCHY_TEST_KILL_AFTER_CALLS: String(calls),
      })
      // The daemon's next pass (here run once) finishes or rolls back what the killed run began.
      await wrapper.takeCalls()
      const pass = await archy(['agent', 'reconcile'])
      const passCalls = await wrapper.takeCalls()
      const at = `killed after call ${calls}`
      expect(pass.code, `${at}: ${pass.stderr}`).toBe(0)
      const converged = await expectConverged(appId, members, at)
      outcomes.push({ ...converged, killedAt: calls, passCalls })
      if (killed.code !== 137) break
    }
    return outcomes
  }

  beforeAll(async () => {
    asUser = podmanAsTestUser()
    await cleanUp(asUser)
    ;({ root, place } = await makeTestUserRoot(asUser, 'flt-update'))
    wrapper = await installPodmanWrapper(asUser, `${root}/bin`)
    await wrapper.control({})

    ensureExampleImages()
    ;({ work, registry, key } = await startBedRegistry('flt-update-node'))
    await publish(writeFaultApp(work, '1.0.0', 'healthy'))
    await publish(writeFaultStack(work, '1.0.0'))
    await ok('agent', 'add-registry', registry.url, '--did', registry.did)
    await ok('agent', 'install', WEB)
    await ok('agent', 'install', 'flt-notes-web')
    // The apps' own data, which no update, crash or rollback may change.
    for (const member of [WEB, ...STACK]) {
      const file = `${root}/apps/${member}/${markerPath(member)}`
      await asUser('podman', ['unshare', 'sh', '-c', 'echo kept > "$1"', 'sh', file])
    }
    // Holds the port the broken release asks for, so its `podman run` fails.
    blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(FLT_PORTS.taken, '127.0.0.1', resolve))
  }, 300_000)

  afterAll(async () => {
    await new Promise((resolve) => blocker?.close(resolve))
    await registry?.close()
    if (asUser) await cleanUp(asUser)
    if (root) await asUser('podman', ['unshare', 'rm', '-rf', root], { allowFailure: true })
  }, 120_000)

  let minor = 0
  const nextWebRelease = (kind: 'healthy' | 'broken' | 'unhealthy') => async () => {
    minor += 1
    await publish(writeFaultApp(work, `1.${minor}.0`, kind))
  }

  describe('a single-container app', () => {
    it('converges after a SIGKILL following every call of an update', async () => {
      const started = Date.now()
      const outcomes = await killEachCall(WEB, [WEB], nextWebRelease('healthy'))
      const kills = outcomes.length - 1
      console.log(`update: killed after each of its ${kills} calls, ${Date.now() - started} ms`)
      expect(kills).toBeGreaterThan(5)
      expect(kills).toBeLessThan(MAX_CALLS)
      // Some runs were finished by the next pass, some rolled back before any container changed.
      expect(outcomes.some((outcome) => outcome.lastUpdate === 'updated')).toBe(true)
      expect(outcomes.some((outcome) => outcome.lastUpdate === 'rolled-back')).toBe(true)
    }, 1_800_000)

    it('converges after a SIGKILL during the rollback of an update that fails', async () => {
      await nextWebRelease('broken')()
      await wrapper.takeCalls()
      const failed = await archy(['agent', 'update', WEB])
      expect(failed.code, failed.stderr).toBe(1)
      expect(failed.stdout).toMatch(/rolled back flt-web/)
      const calls = await wrapper.takeCalls()
      // The rollback begins where the broken release's run failed: kill from there on.
      const runs = calls.flatMap((line, index) => (line.startsWith('run ') ? [index + 1] : []))
      expect(runs.length).toBe(2)
      const rollback = range(runs[0]!, calls.length + 1)
      const points = sample(rollback, 4, calls)
      const started = Date.now()
      const outcomes = await killEachCall(WEB, [WEB], nextWebRelease('broken'), points)
      console.log(
        `rollback: ${calls.length} calls, ${rollback.length - 1} after the failed run; ` +
          `killed after ${outcomes.length - 1} of them, ${Date.now() - started} ms`,
      )
      // A health poll more or less can end a run one kill point early.
      expect(outcomes.length).toBeGreaterThanOrEqual(points.length - 1)
      for (const outcome of outcomes) expect(outcome.lastUpdate).toBe('rolled-back')
      // Once the rollback began (its first call follows the failed run), the pass after a crash
      // finishes it and never runs the release that failed again.
      const brokenRuns = (outcome: Outcome) =>
        (outcome.passCalls ?? []).filter(
          (line) => line.startsWith('run ') && line.includes(`:${FLT_PORTS.taken}:`),
        )
      for (const outcome of outcomes.filter((o) => (o.killedAt ?? 0) > runs[0]!)) {
        expect(brokenRuns(outcome), `killed after call ${outcome.killedAt}`).toEqual([])
      }
    }, 1_800_000)
  })

  it('converges after a SIGKILL during the health gate of an unhealthy release', async () => {
    await nextWebRelease('unhealthy')()
    await wrapper.takeCalls()
    const failed = await archy(['agent', 'update', WEB])
    expect(failed.code, failed.stderr).toBe(1)
    expect(failed.stdout).toMatch(/rolled back flt-web .*not healthy/)
    const calls = await wrapper.takeCalls()
    // The gate: the new release's health checks, then (after its window) the rollback. Killed
    // in the gate, the next pass runs the gate again and rolls back; each kill costs a window.
    const gate = calls.findIndex((line) => line.startsWith('healthcheck run')) + 1
    expect(gate).toBeGreaterThan(0)
    const points = sample(range(gate, calls.length + 1), calls.length, calls)
    const started = Date.now()
    const outcomes = await killEachCall(WEB, [WEB], nextWebRelease('unhealthy'), points)
    console.log(
      `health gate: ${calls.length} calls, the first check at ${gate}; killed after ` +
        `${outcomes.length - 1} of them, ${Date.now() - started} ms`,
    )
    for (const outcome of outcomes) expect(outcome.lastUpdate).toBe('rolled-back')
  }, 1_800_000)

  it('converges after a SIGKILL during a stack update', async () => {
    let stackVersion = 0
    const nextStackRelease = async () => {
      stackVersion += 1
      await publish(writeFaultStack(work, `1.${stackVersion}.0`))
    }
    await nextStackRelease()
    await wrapper.takeCalls()
    expect(await ok('agent', 'update', 'flt-notes-web')).toMatch(/^updated flt-notes-web /)
    const calls = await wrapper.takeCalls()
    const total = calls.length
    const points = sample(range(1, total + 1), 6, calls)
    const started = Date.now()
    const outcomes = await killEachCall('flt-notes-web', STACK, nextStackRelease, points)
    console.log(
      `stack update: ${total} calls; killed after ${outcomes.length - 1} of them ` +
        `(${points.join(', ')}), ${Date.now() - started} ms`,
    )
    // A health poll more or less can end a run one kill point early.
    expect(outcomes.length).toBeGreaterThanOrEqual(points.length - 1)
  }, 1_800_000)
})

/** The numbers from `from` up to and including `to`. */
function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

/**
 * The kill points to run among `points` (call k ends at `calls[k - 1]`, the wrapper's log of a run
 * that went to the end): every one under ARCHY_TEST_FAULTS=all; otherwise the first after each
 * kind of call (`run`, `rm`, `healthcheck run`, `network create`, ...), every `step`th and the
 * last, which keeps the suite's time in check (the single-container update above is always
 * killed at every call).
 */
function sample(points: number[], step: number, calls: string[]): number[] {
  if (process.env.ARCHY_TEST_FAULTS === 'all') return points
  const seen = new Set<string>()
  const chosen = points.filter((point, index) => {
    const kind = callKind(calls[point - 1] ?? 'the end')
    const first = !seen.has(kind)
    seen.add(kind)
    return first || index % step === 0 || index === points.length - 1
  })
  console.log(`kill points ${chosen.join(', ')} of ${points.length}: ${[...seen].join(', ')}`)
  return chosen
}

const GROUPED = new Set(['container', 'healthcheck', 'image', 'network', 'secret', 'unshare'])

/** A logged call's kind: its subcommand, with the next word for a group (`network create`). */
function callKind(line: string): string {
  const words = line.split(' ')
  return GROUPED.has(words[0] ?? '') ? words.slice(0, 2).join(' ') : (words[0] ?? '')
}

function markerPath(member: string): string {
  return member === 'flt-notes-api' ? 'data/marker' : 'www/marker'
}

/** Removes what these tests may have left as the test user. */
async function cleanUp(asUser: Exec): Promise<void> {
  for (const name of [WEB, ...STACK]) {
    await asUser('podman', ['rm', '-f', '--ignore', name], { allowFailure: true })
  }
  for (const network of FLT_NETWORKS) {
    await asUser('podman', ['network', 'rm', '-f', network], { allowFailure: true })
  }
  await asUser('podman', ['secret', 'rm', FLT_SECRET], { allowFailure: true })
  await removeFaultImageNames(asUser, [WEB, ...STACK])
}
