// Crash-loop backoff: failures counted within a window, exponential delays with a cap, restarts
// of Podman's restart policy counted from its restart count, the failing container stopped and
// left alone until the retry, kept across an agent restart, and `agent start` retrying at once.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

import { openAgent, type Agent } from '../../node-agent/agent-context.js'
import type { CrashLoopRecord } from '../../node-agent/agent-store.js'
import { CRASH_LOOP, countFailure, isBackingOff, isSettled } from '../../node-agent/crash-loop.js'
import type { Exec } from '../../node-agent/exec.js'
import { setAppState } from '../../node-agent/lifecycle.js'
import { runReconcilePass } from '../../node-agent/reconcile-pass.js'
import { collectStatus, renderStatus } from '../../node-agent/status.js'
import { ExecError } from '../../src/errors.js'
import { seedRunningInstalls } from '../support/seed-installs.js'

const T0 = new Date('2026-12-04T06:00:00Z')
const at = (ms: number): Date => new Date(T0.getTime() + ms)
const failure = { memberId: 'app', error: 'app: exited', exitCode: 1, count: 1 }

describe('countFailure', () => {
  const after = (times: number, stepMs = 1000): CrashLoopRecord => {
    let record: CrashLoopRecord | undefined
    for (let i = 0; i < times; i += 1) record = countFailure(record, 'app', failure, at(i * stepMs))
    return record!
  }

  it('counts failures below the threshold without backing off', () => {
    const record = after(CRASH_LOOP.threshold - 1)
    expect(record).toMatchObject({ failures: 2, backoffs: 0, nextRetryAt: null, lastExitCode: 1 })
    expect(isBackingOff(record, at(2000))).toBe(false)
  })

  it('backs off from the threshold on, doubling each time up to the cap', () => {
    const delays = [3, 4, 5, 6, 7, 8, 9, 10].map((times) => {
      const record = after(times)
      return Date.parse(record.nextRetryAt!) - Date.parse(record.lastFailureAt)
    })
    expect(delays.map((ms) => ms / 60_000)).toEqual([1, 2, 4, 8, 16, 30, 30, 30])
    expect(isBackingOff(after(3), at(2000 + 59_000))).toBe(true)
    expect(isBackingOff(after(3), at(2000 + 60_000))).toBe(false)
  })

  it('starts over after a quiet window, counting from the last failure or retry', () => {
    const looping = after(4)
    const quiet = at(3000 + 120_000 + CRASH_LOOP.windowMs + 1)
    expect(isSettled(looping, quiet)).toBe(true)
    expect(countFailure(looping, 'app', failure, quiet)).toMatchObject({
      failures: 1,
      backoffs: 0,
      nextRetryAt: null,
    })
    // Retried late in a long backoff: the window runs from the retry, so the delay keeps growing.
    const retried = { ...looping, nextRetryAt: null, retriedAt: quiet.toISOString() }
    expect(isSettled(retried, at(quiet.getTime() - T0.getTime() + 1000))).toBe(false)
    const again = countFailure(retried, 'app', failure, at(quiet.getTime() - T0.getTime() + 1000))
    expect(again).toMatchObject({ failures: 5, backoffs: 3 })
  })

  it('counts a burst of restarts at once but backs off one step', () => {
    const record = countFailure(undefined, 'app', { ...failure, count: 40 }, T0)
    expect(record).toMatchObject({ failures: 40, backoffs: 1 })
    expect(Date.parse(record.nextRetryAt!) - T0.getTime()).toBe(CRASH_LOOP.firstDelayMs)
  })
})

const INFO = { host: { security: { rootless: true }, cgroupVersion: 'v2', cgroupControllers: [] } }

interface Scripted {
  calls: string[]
  row: Record<string, unknown>
  restartCount: number
  healthy?: boolean
  /** How many stops fail (exit 125) before one works, the container still running. */
  failStops?: number
}

let agent: Agent | undefined
afterEach(async () => {
  await agent?.close()
  agent = undefined
})

/** An agent over a Podman of one container whose state the test moves; every call recorded. */
async function openScriptedAgent(state: string, script: Scripted): Promise<Agent> {
  const exec: Exec = async (command, args) => {
    const line = args.join(' ')
    script.calls.push(line)
    const answer = (value: string) => ({ stdout: value, stderr: '', exitCode: 0, durationMs: 0 })
    if (line === 'info --format json') return answer(JSON.stringify(INFO))
    if (line === 'ps -a --format json') return answer(JSON.stringify([script.row]))
    const name = String(script.row.Names && (script.row.Names as string[])[0])
    if (line === `container inspect --format {{.RestartCount}} {{.State.Status}} ${name}`) {
      return answer(`${script.restartCount} ${String(script.row.State)}\n`)
    }
    if (line === `healthcheck run ${name}`) {
      return { stdout: '', stderr: '', exitCode: script.healthy ? 0 : 1, durationMs: 0 }
    }
    if (line === `stop --time 10 ${name}` && (script.failStops ?? 0) > 0) {
      script.failStops! -= 1
      const stderr = 'Error: rootlessport listen tcp 127.0.0.1:28220: bind: address already in use'
      throw new ExecError('exec-failed', command, `${line}: exited with 125: ${stderr}`, {
        exitCode: 125,
        stderr,
      })
    }
    if (line === `stop --time 10 ${name}`) {
      script.row = { ...script.row, State: 'exited', ExitCode: 1 }
      return answer('')
    }
    if (line === `start ${name}`) {
      const started = (script.row.StartedAt as number) + 1
      script.row = { ...script.row, State: 'running', ExitCode: 0, StartedAt: started }
      script.restartCount = 0
      return answer('')
    }
    throw new ExecError('exec-failed', command, `unexpected ${line}`)
  }
  const opened = await openAgent({
    state,
    dataRoot: join(state, '..', 'apps'),
    hostIp: '127.0.0.1',
    exec,
  })
  agent = opened
  return opened
}

describe('a reconcile pass over a container its restart policy keeps restarting', () => {
  it('backs off, keeps it stopped across an agent restart, retries when due or on start', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'archy-crash-')), 'state')
    const script: Scripted = { calls: [], row: {}, restartCount: 0 }
    const first = await openScriptedAgent(state, script)
    const [seeded] = (await seedRunningInstalls(first, 1)) as Record<string, unknown>[]
    const appId = 'seeded-app-00'
    script.row = { ...seeded, StartedAt: 1_796_000_000, ExitCode: 0 }

    // First sight: the start time is recorded, Podman is not asked.
    script.calls.length = 0
    expect((await runReconcilePass(first)).steps).toEqual([])
    expect(script.calls).toEqual(['ps -a --format json'])

    // Its policy restarted it 25 times since: a crash loop, so the agent stops it while it runs
    // (a stop between two restarts would not hold it) and looks until it stays down.
    script.row = { ...script.row, StartedAt: 1_796_000_100 }
    script.restartCount = 25
    script.calls.length = 0
    const pass = await runReconcilePass(first)
    expect(pass.steps).toEqual([
      { appId, step: 'stop', reason: expect.stringMatching(/^crash loop: backing off until /) },
    ])
    const inspect = `container inspect --format {{.RestartCount}} {{.State.Status}} ${appId}`
    expect(script.calls).toEqual([
      'ps -a --format json',
      inspect,
      inspect,
      `stop --time 10 ${appId}`,
      inspect,
      inspect,
    ])

    // Backing off: later passes (and a restarted agent) leave the stopped container alone.
    await first.close()
    agent = undefined
    const second = await openScriptedAgent(state, script)
    script.calls.length = 0
    expect(await runReconcilePass(second)).toMatchObject({
      steps: [],
      errors: [],
      warnings: [
        expect.stringMatching(
          new RegExp(`^${appId}: crash loop \\(.*\\): left alone until \\S+Z; archy agent start`),
        ),
      ],
    })
    const podmanCalls = script.calls.filter((line) => line !== 'info --format json')
    expect(podmanCalls).toEqual(['ps -a --format json'])
    const status = await collectStatus(second)
    expect(status.apps[0]).toMatchObject({
      members: [{ appId, state: 'crash-loop', podmanState: 'exited' }],
      crashLoop: { state: 'crash-loop', failures: 25, nextRetryAt: expect.any(String) },
    })
    expect(renderStatus(status)).toMatch(
      new RegExp(
        `crash-loop: ${appId} failed 25 times: ${appId}: exited and was restarted by Podman ` +
          `25 times; next retry at \\S+Z \\(archy agent start ${appId} retries now\\)`,
      ),
    )

    // Once due, a pass retries: it starts the container again.
    const record = second.store.getCrashLoop(appId)!
    const past = new Date(Date.now() - 1000).toISOString()
    second.store.saveCrashLoop({ ...record, nextRetryAt: past })
    expect((await runReconcilePass(second)).steps).toEqual([
      { appId, step: 'start', reason: 'container is exited' },
    ])
    expect(second.store.getCrashLoop(appId)).toMatchObject({ nextRetryAt: null, failures: 25 })
    expect((await collectStatus(second)).apps[0]).toMatchObject({
      members: [{ appId, state: 'running' }],
      crashLoop: { state: 'retrying', nextRetryAt: null },
    })

    // Restarted by its policy again soon after: backed off for twice as long.
    script.row = { ...script.row, StartedAt: (script.row.StartedAt as number) + 5 }
    script.restartCount = 2
    const before = Date.now()
    expect((await runReconcilePass(second)).steps).toMatchObject([{ appId, step: 'stop' }])
    const doubled = second.store.getCrashLoop(appId)!
    expect(doubled).toMatchObject({ failures: 27, backoffs: 2 })
    const delay = Date.parse(doubled.nextRetryAt!) - before
    expect(delay).toBeGreaterThanOrEqual(2 * CRASH_LOOP.firstDelayMs - 1000)
    expect(delay).toBeLessThanOrEqual(2 * CRASH_LOOP.firstDelayMs + 5000)

    // `archy agent start` retries at once.
    script.calls.length = 0
    expect(await setAppState(second, appId, 'running')).toEqual([
      { appId, step: 'start', reason: 'container is exited' },
    ])
    expect(second.store.getCrashLoop(appId)).toBeUndefined()
    expect(script.calls).toContain(`start ${appId}`)
  })

  it('stops it again when a stop races a restart and fails, and fails only if it never rests', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'archy-crash-')), 'state')
    const script: Scripted = { calls: [], row: {}, restartCount: 0 }
    const opened = await openScriptedAgent(state, script)
    const [seeded] = (await seedRunningInstalls(opened, 1)) as Record<string, unknown>[]
    const appId = 'seeded-app-00'
    script.row = { ...seeded, StartedAt: 1_796_000_000, ExitCode: 0 }
    await runReconcilePass(opened)

    script.row = { ...script.row, StartedAt: 1_796_000_100 }
    script.restartCount = 25
    script.failStops = 1
    script.calls.length = 0
    const pass = await runReconcilePass(opened)
    expect(pass.errors).toEqual([])
    expect(pass.steps).toMatchObject([{ appId, step: 'stop' }])
    const stops = script.calls.filter((line) => line.startsWith('stop '))
    expect(stops).toEqual([`stop --time 10 ${appId}`, `stop --time 10 ${appId}`])
    expect(script.row.State).toBe('exited')

    // A stop that always fails: the step fails with Podman's own error after its looks.
    const record = opened.store.getCrashLoop(appId)!
    opened.store.saveCrashLoop({ ...record, stopped: false })
    script.row = { ...script.row, State: 'running', StartedAt: 1_796_000_200 }
    script.restartCount = 30
    script.failStops = 1000
    const stuck = await runReconcilePass(opened)
    expect(stuck.errors.join('\n')).toMatch(/address already in use/)
  }, 60_000)

  it('counts nothing when the agent started the container itself (the count was reset)', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'archy-crash-')), 'state')
    const script: Scripted = { calls: [], row: {}, restartCount: 0 }
    const opened = await openScriptedAgent(state, script)
    const [seeded] = (await seedRunningInstalls(opened, 1)) as Record<string, unknown>[]
    script.row = { ...seeded, StartedAt: 1_796_000_000, State: 'exited', ExitCode: 137 }
    expect((await runReconcilePass(opened)).steps).toMatchObject([{ step: 'start' }])
    expect((await runReconcilePass(opened)).steps).toEqual([])
    expect((await runReconcilePass(opened)).steps).toEqual([])
    expect(opened.store.getCrashLoop('seeded-app-00')).toBeUndefined()
  })

  it('in quadlet mode, stops and masks the service through systemd while backing off', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'archy-crash-')), 'state')
    const script: Scripted = { calls: [], row: {}, restartCount: 0 }
    const opened = await openScriptedAgent(state, script)
    const [seeded] = (await seedRunningInstalls(opened, 1)) as Record<string, unknown>[]
    const appId = 'seeded-app-00'
    const install = opened.store.getInstall(appId)!
    opened.store.saveInstall({ ...install, mode: 'quadlet' }, opened.store.listMembers(appId))
    script.row = { ...seeded, StartedAt: 1_796_000_000 }
    const now = new Date()
    let record: CrashLoopRecord | undefined
    for (let i = 0; i < CRASH_LOOP.threshold; i += 1) {
      record = countFailure(record, appId, { ...failure, memberId: appId }, now)
    }
    opened.store.saveCrashLoop(record!)

    script.calls.length = 0
    const calls: string[][] = []
    const exec = opened.exec
    Object.assign(opened, {
      exec: (async (command, args, options) => {
        if (command !== 'systemctl') return exec(command, args, options)
        calls.push(args)
        return { stdout: '', stderr: '', exitCode: 0, durationMs: 0 }
      }) satisfies Exec,
    })
    expect((await runReconcilePass(opened)).steps).toMatchObject([{ appId, step: 'stop' }])
    expect(calls).toEqual([['--user', 'mask', '--now', `${appId}.service`]])
    expect(script.calls.filter((line) => !/^(ps|info) /.test(line))).toEqual([])
  })

  it('backs off an app that runs on another port than its health check, never recreating it', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'archy-crash-')), 'state')
    const script: Scripted = { calls: [], row: {}, restartCount: 0, healthy: false }
    const opened = await openScriptedAgent(state, script)
    const health = { health_check: { type: 'tcp', port: 8080 } }
    const [seeded] = (await seedRunningInstalls(opened, 1, health)) as Record<string, unknown>[]
    const appId = 'seeded-app-00'
    script.row = { ...seeded, StartedAt: 1_796_000_000 }
    // What the failed install recorded: its health check never passed.
    const unhealthy = `${appId}: not healthy after 120 s (its health check fails); its data is kept`
    const first = { memberId: appId, error: unhealthy, exitCode: null, count: 1 }
    opened.store.saveCrashLoop(countFailure(undefined, appId, first, new Date()))

    script.calls.length = 0
    expect((await runReconcilePass(opened)).steps).toEqual([])
    expect(opened.store.getCrashLoop(appId)).toMatchObject({
      failures: 2,
      lastError: `${appId}: its health check still fails`,
      nextRetryAt: null,
    })
    expect((await runReconcilePass(opened)).steps).toMatchObject([{ appId, step: 'stop' }])
    expect((await collectStatus(opened)).apps[0]).toMatchObject({
      members: [{ state: 'crash-loop', podmanState: 'exited' }],
      crashLoop: { state: 'crash-loop', failures: 3 },
    })
    for (let pass = 0; pass < 3; pass += 1) {
      expect((await runReconcilePass(opened)).steps).toEqual([])
    }
    // Probed, stopped once, and never created, removed or started again.
    expect(script.calls.filter((line) => /^(run|rm|start|healthcheck|stop) /.test(line))).toEqual([
      `healthcheck run ${appId}`,
      `healthcheck run ${appId}`,
      `stop --time 10 ${appId}`,
    ])
  })
})
