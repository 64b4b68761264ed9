// Crash-loop backoff: an app that keeps failing (a create, start or health check that fails, or
// restarts its Podman restart policy made behind the agent's back) is stopped and left alone for
// a delay that doubles with every failed retry, instead of being started again on every pass.
// Counted in the agent's store, so a restarted agent keeps it; it stops containers, never removes
// one or any data. `archy agent start` (or restart, or install) retries at once.
import { ExecError } from '../src/errors.js'
import type { Agent } from './agent-context.js'
import type { CrashLoopRecord } from './agent-store.js'
import type { InstalledApp } from './installed-app.js'
import type { PodmanContainer } from './podman.js'
import { holdService } from './quadlet-mode.js'
import type { AppliedStep } from './reconciler.js'
import { findOtherAgent } from './reconcile-decision.js'

/** Failures within `windowMs` of each other; `threshold` of them make a crash loop. */
export const CRASH_LOOP = {
  threshold: 3,
  windowMs: 10 * 60_000,
  firstDelayMs: 60_000,
  maxDelayMs: 30 * 60_000,
}

export interface Failure {
  memberId: string
  error: string
  exitCode: number | null
  /** How many failures this is (a restart policy may have restarted it many times). */
  count: number
}

/**
 * The record after `failure` at `now`. A failure after a quiet window (since the last failure or
 * retry) starts over; from the threshold on, each failure backs off for a delay twice the last.
 */
export function countFailure(
  record: CrashLoopRecord | undefined,
  appId: string,
  failure: Failure,
  now: Date,
): CrashLoopRecord {
  const at = now.toISOString()
  const fresh = record === undefined || isSettled(record, now)
  const base = fresh ? newRecord(appId, at) : record
  const next: CrashLoopRecord = {
    ...base,
    memberId: failure.memberId,
    failures: base.failures + failure.count,
    lastFailureAt: at,
    lastExitCode: failure.exitCode ?? base.lastExitCode,
    lastError: failure.error,
    nextRetryAt: null,
  }
  if (next.failures < CRASH_LOOP.threshold) return next
  const delay = Math.min(CRASH_LOOP.firstDelayMs * 2 ** base.backoffs, CRASH_LOOP.maxDelayMs)
  return {
    ...next,
    backoffs: base.backoffs + 1,
    nextRetryAt: new Date(now.getTime() + delay).toISOString(),
    stopped: false,
  }
}

/** Whether a pass must leave the app alone at `now`. */
export function isBackingOff(record: CrashLoopRecord, now: Date): boolean {
  return record.nextRetryAt !== null && now.getTime() < Date.parse(record.nextRetryAt)
}

/** Whether the app has had no failure for a whole window since its last failure or retry. */
export function isSettled(record: CrashLoopRecord, now: Date): boolean {
  if (isBackingOff(record, now)) return false
  const since = Math.max(Date.parse(record.lastFailureAt), Date.parse(record.retriedAt ?? '') || 0)
  return now.getTime() - since > CRASH_LOOP.windowMs
}

/** Whether the record shows a crash loop (status shows `crash-loop`), not a failure or two. */
export function isCrashLoop(record: CrashLoopRecord): boolean {
  return record.failures >= CRASH_LOOP.threshold
}

/**
 * Before a pass's steps for a running install: counts the restarts its restart policy made and a
 * failing member's health, then answers whether to go on or hold (the app is backing off: its
 * failing member is stopped and nothing is started). A due retry goes on, recorded as one.
 */
export async function checkCrashLoop(
  agent: Agent,
  app: InstalledApp,
  containers: PodmanContainer[],
  now = new Date(),
): Promise<{ hold: boolean; steps: AppliedStep[] }> {
  const installId = app.install.appId
  let record = agent.store.getCrashLoop(installId)
  if (app.install.desired !== 'running') return { hold: false, steps: [] }

  // What one pass saw counts as one failure (of all its restarts): one backoff step at most.
  const [first, ...more] = await observeMembers(agent, app, containers, record, now)
  if (first) {
    const count = more.reduce((sum, failure) => sum + failure.count, first.count)
    record = countFailure(record, installId, { ...first, count }, now)
    agent.store.saveCrashLoop(record)
  }
  if (record === undefined) return { hold: false, steps: [] }
  if (isBackingOff(record, now)) {
    return { hold: true, steps: await stopFailingMember(agent, app, containers, record) }
  }
  if (isSettled(record, now)) {
    agent.store.clearCrashLoop(installId)
  } else if (record.nextRetryAt !== null) {
    agent.store.saveCrashLoop({ ...record, nextRetryAt: null, retriedAt: now.toISOString() })
  }
  return { hold: false, steps: [] }
}

/**
 * Records a failed reconcile or install of `app` (its error names the member that failed), and
 * stops that member at once when the failure begins a backoff, so its restart policy rests too.
 */
export async function recordFailure(
  agent: Agent,
  app: InstalledApp,
  error: Error,
  containers: PodmanContainer[],
  now = new Date(),
): Promise<void> {
  const ids = app.members.map((member) => member.manifest.id)
  const memberId = ids.find((id) => error.message.startsWith(`${id}:`)) ?? app.install.appId
  const name = app.records.find((record) => record.appId === memberId)?.containerName ?? memberId
  const seen = containers.find((container) => container.name === name)
  const stated = /\(exit code (\d+)\)/.exec(error.message)?.[1]
  const listed = seen?.state === 'exited' ? (seen.exitCode ?? null) : null
  const exitCode = stated === undefined ? listed : Number(stated)
  const failure = { memberId, error: error.message, exitCode, count: 1 }
  const installId = app.install.appId
  const record = countFailure(agent.store.getCrashLoop(installId), installId, failure, now)
  agent.store.saveCrashLoop(record)
  if (!isBackingOff(record, now)) return
  // What the failed step left may still run (or be restarted by its policy): stop it now. A
  // container the step never made has nothing to stop; the next pass stops what is there.
  const stopped = await stopContainer(agent, app, name).then(
    () => true,
    () => false,
  )
  if (stopped) agent.store.saveCrashLoop({ ...record, stopped })
}

/** The failures a listing shows: policy restarts (podman mode), a failing member's health. */
async function observeMembers(
  agent: Agent,
  app: InstalledApp,
  containers: PodmanContainer[],
  record: CrashLoopRecord | undefined,
  now: Date,
): Promise<Failure[]> {
  const failures: Failure[] = []
  for (const member of app.records) {
    const container = containers.find((candidate) => candidate.name === member.containerName)
    if (!container || findOtherAgent(container, agent.agentId) !== undefined) continue

    if (app.install.mode === 'podman' && container.startedAt !== undefined) {
      const restarts = await countPolicyRestarts(agent, member.appId, container, record)
      if (restarts > 0) {
        const exitCode = container.state === 'exited' ? (container.exitCode ?? null) : null
        const error = `${member.appId}: exited and was restarted by Podman ${restarts} times`
        failures.push({ memberId: member.appId, error, exitCode, count: restarts })
        continue
      }
    }
    // The member that failed last, running now and not backing off: is it healthy yet?
    if (record?.memberId !== member.appId || container.state !== 'running') continue
    if (isBackingOff(record, now)) continue
    const planned = app.members.find((candidate) => candidate.manifest.id === member.appId)
    if (planned?.spec.health === undefined || (await agent.podman.healthcheck(container.name))) {
      continue
    }
    const error = `${member.appId}: its health check still fails`
    failures.push({ memberId: member.appId, error, exitCode: null, count: 1 })
  }
  return failures
}

/**
 * The restarts Podman's restart policy made since the last pass saw the container. Podman is
 * asked only when its start time moved (a manual start resets the count, a create is a new id),
 * or for a failing app seen for the first time; otherwise a pass costs no call.
 */
async function countPolicyRestarts(
  agent: Agent,
  memberId: string,
  container: PodmanContainer,
  record: CrashLoopRecord | undefined,
): Promise<number> {
  const baseline = agent.store.getRestartBaseline(memberId)
  const moved =
    baseline === undefined ||
    baseline.containerId !== container.id ||
    baseline.startedAt !== container.startedAt
  if (!moved) return 0
  const ask = baseline !== undefined || record !== undefined
  const count = ask ? (await agent.podman.restartState(container.name)).restarts : null
  agent.store.saveRestartBaseline({
    memberId,
    containerId: container.id,
    startedAt: container.startedAt!,
    restartCount: count,
  })
  if (count === null) return 0
  const sameRun = baseline?.containerId === container.id && baseline.restartCount !== null
  const before = sameRun && baseline.restartCount! <= count ? baseline.restartCount! : 0
  return count - before
}

/**
 * Stops the failing member once per backoff, and again whenever it is not `exited`: `stopped` is
 * Podman's state between two restarts of its restart policy.
 */
async function stopFailingMember(
  agent: Agent,
  app: InstalledApp,
  containers: PodmanContainer[],
  record: CrashLoopRecord,
): Promise<AppliedStep[]> {
  const name = app.records.find((member) => member.appId === record.memberId)?.containerName
  const container = containers.find((candidate) => candidate.name === name)
  if (!container || (record.stopped && container.state === 'exited')) return []
  await stopContainer(agent, app, container.name)
  agent.store.saveCrashLoop({ ...record, stopped: true })
  const reason = `crash loop: backing off until ${record.nextRetryAt}`
  return [{ appId: record.memberId, step: 'stop', reason }]
}

async function stopContainer(agent: Agent, app: InstalledApp, name: string): Promise<void> {
  // Quadlet mode: systemd owns the container (a podman stop would be restarted by it); masked,
  // its unit does not start the loop again at the next boot. A retry's start unmasks it.
  if (app.install.mode === 'quadlet') return holdService(agent.exec, name)

  // Podman holds a restart policy back only for a container stopped while it ran: a stop between
  // two of its restarts (state `stopped`, a restart to come) changes nothing. So stop it when it
  // runs, until it is `exited`, which it is only once nothing will restart it. A stop that
  // races a restart can fail (Podman 4.3: "rootlessport listen ... address already in use" while
  // the previous run still holds the port); the next look tries again, and only a container
  // that never came to rest fails the step, with the last such error.
  let exited = 0
  let failure: unknown
  for (let look = 0; look < STOP_LOOKS && exited < EXITED_LOOKS; look += 1) {
    const { state } = await agent.podman.restartState(name)
    if (state === 'running') {
      await agent.podman.stop(name).catch((error: unknown) => {
        if (!(error instanceof ExecError) || error.code !== 'exec-failed') throw error
        failure = error
      })
    }
    exited = state === 'exited' ? exited + 1 : 0
    if (exited < EXITED_LOOKS) await new Promise((resolve) => setTimeout(resolve, LOOK_INTERVAL_MS))
  }
  if (exited < EXITED_LOOKS && failure !== undefined) throw failure
}

// Up to about 15 s: under load a restart policy can race several stops in a row (seen in CI).
const STOP_LOOKS = 150
const EXITED_LOOKS = 2
const LOOK_INTERVAL_MS = 100

function newRecord(appId: string, at: string): CrashLoopRecord {
  return {
    appId,
    memberId: appId,
    failures: 0,
    firstFailureAt: at,
    lastFailureAt: at,
    lastExitCode: null,
    lastError: '',
    backoffs: 0,
    nextRetryAt: null,
    retriedAt: null,
    stopped: false,
  }
}
