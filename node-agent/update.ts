// Updates (issue #5): an installed app moves to a newer release of the same publisher from the
// same registry, or to its pinned version. The data is snapshotted first where the filesystem
// can; when the new release is not healthy within its window, the previous release (image and
// config) comes back, with the snapshot's data. The store records each step, so a crash half way
// is finished or rolled back by the next reconcile.
import semver from 'semver'

import { ArchyError } from '../src/errors.js'
import { verifyRelease, type VerifiedRelease } from '../src/release/release-document.js'
import type { Agent } from './agent-context.js'
import type { InstallRecord, RuntimeMode, UpdateRecord } from './agent-store.js'
import { findCatalogCandidates } from './catalog-search.js'
import { restoreAppData, snapshotAppData } from './data-snapshot.js'
import { applyRelease } from './install.js'
import { loadInstalledApp, requireInstall, type InstalledApp } from './installed-app.js'
import { fetchPublishedRelease } from './published-release.js'
import { controlService } from './quadlet-mode.js'
import { waitForHealthy } from './health-wait.js'
import {
  healthWindowMs,
  listContainersOnce,
  reconcileInstalledApp,
  type AppliedStep,
} from './reconciler.js'

export type UpdateResult = 'updated' | 'rolled-back' | 'up-to-date' | 'pinned' | 'skipped'

export interface UpdateOutcome {
  appId: string
  from: string
  to: string | null
  result: UpdateResult
  /** One line on why: the failure a rollback answered, the pin, a version that failed before. */
  reason: string
  warnings: string[]
}

export interface UpdateOptions {
  /** The operator asked for it (`archy agent update`): a version that failed is retried. */
  explicit: boolean
}

interface Target {
  registryUrl: string
  verified: VerifiedRelease
}

/** Updates every install (or the one APP names), one after another. */
export async function updateApps(
  agent: Agent,
  appId: string | undefined,
  options: UpdateOptions,
): Promise<UpdateOutcome[]> {
  const ids = appId ? [requireInstall(agent, appId).appId] : listInstallIds(agent)
  const outcomes: UpdateOutcome[] = []
  for (const id of ids) outcomes.push(await updateApp(agent, id, options))
  return outcomes
}

/** Updates one install to its newest release (or its pinned version), gated by health. */
export async function updateApp(
  agent: Agent,
  appId: string,
  options: UpdateOptions,
): Promise<UpdateOutcome> {
  const install = requireInstall(agent, appId)
  const id = install.appId
  const current = verifyRelease(install.release, `${id}: stored release`).release.version
  const pinned = agent.store.getPolicy(id).pinnedVersion
  const base = { appId: id, from: current, warnings: [] as string[] }
  if (pinned === current) {
    return { ...base, to: null, result: 'pinned', reason: `pinned to ${pinned}` }
  }

  const target = await findTarget(agent, install, pinned)
  if (!target) {
    return { ...base, to: null, result: 'up-to-date', reason: `${current} is the newest` }
  }
  const to = target.verified.release.version
  const last = agent.store.getUpdate(id)
  const failedBefore = last?.state === 'rolled-back' || last?.state === 'rollback-failed'
  if (!options.explicit && failedBefore && last?.toVersion === to) {
    const reason = `the update to ${to} failed before; archy agent update ${id} retries it`
    return { ...base, to, result: 'skipped', reason }
  }
  return runUpdate(agent, install, target)
}

/** What the app should move to: the pinned version's release, or a newer catalog release. */
async function findTarget(
  agent: Agent,
  install: InstallRecord,
  pinned: string | null,
): Promise<Target | undefined> {
  const found = (await findCatalogCandidates(agent.store, install.appId)).filter(
    (candidate) =>
      candidate.registryUrl === install.registryUrl &&
      candidate.verified.release.author.did === install.publisherDid,
  )
  if (pinned !== null) {
    const listed = found.find((candidate) => candidate.verified.release.version === pinned)
    if (listed) return listed
    const verified = await fetchPublishedRelease(install, pinned)
    return { registryUrl: install.registryUrl, verified }
  }
  const current = verifyRelease(install.release, `${install.appId}: stored release`)
  const newest = found
    .filter((candidate) => semver.gt(candidate.verified.release.version, current.release.version))
    .sort((a, b) => semver.rcompare(a.verified.release.version, b.verified.release.version))
  return newest[0]
}

async function runUpdate(
  agent: Agent,
  install: InstallRecord,
  target: Target,
): Promise<UpdateOutcome> {
  const id = install.appId
  const from = verifyRelease(install.release, `${id}: stored release`).release.version
  const to = target.verified.release.version
  const record: UpdateRecord = {
    appId: id,
    state: 'updating',
    fromVersion: from,
    toVersion: to,
    fromRelease: install.release,
    snapshots: [],
    warnings: [],
    error: null,
    startedAt: new Date().toISOString(),
    finishedAt: null,
  }
  let started = false
  try {
    // Stopped first, so each snapshot is of data no process is writing.
    await applyRelease(agent, id, target, {
      mode: install.mode,
      healthWindow: true,
      async beforeChange(plans) {
        // Recorded before anything stops: from here on a failure (or crash) rolls back.
        agent.store.saveUpdate(record)
        started = true
        for (const { container, member } of [...plans].reverse()) {
          if (container?.state !== 'running') continue
          await stopMember(agent, install.mode, member.manifest.id, container.name)
        }
        const label = `${from}-${Date.now()}`
        const members = plans.map((plan) => plan.member.manifest.id)
        const taken = await snapshotAppData(agent, members, label)
        record.snapshots = taken.snapshots
        if (taken.warning) record.warnings.push(taken.warning)
        agent.store.saveUpdate(record)
      },
    })
  } catch (error) {
    // Nothing changed before beforeChange ran: the app runs as it did, there is nothing to undo.
    if (!started) throw error
    return rollBack(agent, record, error as Error)
  }
  finish(agent, record, 'updated', null)
  return { appId: id, from, to, result: 'updated', reason: 'healthy', warnings: record.warnings }
}

/**
 * Stops one member before its data is copied or put back. In quadlet mode through its unit:
 * systemd starts a container stopped behind its back again at once (Restart=always), which
 * would snapshot, or restore into, data the app is writing.
 */
export async function stopMember(
  agent: Pick<Agent, 'exec' | 'podman'>,
  mode: RuntimeMode,
  appId: string,
  containerName: string,
): Promise<void> {
  // Only a container under the app's own name is its unit's (an adopted one keeps its name).
  if (mode === 'quadlet' && containerName === appId) {
    await controlService(agent.exec, 'stop', containerName)
  } else {
    await agent.podman.stop(containerName)
  }
}

/**
 * Finishes an update a crash interrupted (reconcile calls this while the store says `updating`):
 * the new release converges, gated by health as a fresh update is, or rolls back.
 */
export async function resumeUpdate(agent: Agent, record: UpdateRecord): Promise<AppliedStep[]> {
  if (record.error !== null) {
    // Interrupted while rolling back (rollBack records why first): the rollback is finished,
    // and the release that failed is never tried again on the way.
    await rollBack(agent, record)
    return []
  }
  const install = requireInstall(agent, record.appId)
  const app = await loadInstalledApp(agent, install)
  if (app.release.version !== record.toVersion) {
    // Interrupted before the new release was recorded: only the stop happened.
    finish(agent, record, 'rolled-back', 'interrupted before any container changed')
    return reconcileInstalledApp(agent, app, await listContainersOnce(agent))
  }
  try {
    const containers = await listContainersOnce(agent)
    const steps = await reconcileInstalledApp(agent, app, containers, {
      reloadImages: true,
      refreshData: true,
      healthWindow: true,
      keepVersion: true,
    })
    // The crash may have come after the new containers were made, leaving the pass nothing to
    // create: the gate still holds, each member healthy within its own window. Until it has,
    // the installed version stays the one before the update.
    await waitForMembersHealthy(agent, app)
    agent.store.setInstalledVersion(record.appId, record.toVersion)
    finish(agent, record, 'updated', null)
    return steps
  } catch (error) {
    await rollBack(agent, record, error as Error)
    return []
  }
}

/**
 * Stops the new release, puts the snapshots back and converges on the previous release. Without
 * a cause it resumes a rollback a crash interrupted, for the reason recorded then.
 */
async function rollBack(agent: Agent, record: UpdateRecord, cause?: Error): Promise<UpdateOutcome> {
  const id = record.appId
  const install = requireInstall(agent, id)
  const previous = verifyRelease(record.fromRelease, `${id}: release before the update`)
  const reason = cause ? `${record.toVersion} failed: ${cause.message}` : (record.error ?? '')
  // Recorded, still `updating`, before anything is undone: from here a crash resumes this
  // rollback (resumeUpdate), never the release that failed.
  record.error = reason
  agent.store.saveUpdate(record)

  try {
    const containers = await listContainersOnce(agent)
    for (const member of [...agent.store.listMembers(id)].reverse()) {
      const container = containers.find((candidate) => candidate.name === member.containerName)
      if (container?.state !== 'running') continue
      await stopMember(agent, install.mode, member.appId, container.name)
    }
    // The store names the previous release again only once its data is back (applyRelease
    // below): then the snapshots were restored already, and the data may have moved on since.
    const stored = verifyRelease(install.release, `${id}: stored release`).release.version
    if (stored !== record.fromVersion) await restoreAppData(agent, record.snapshots)
    const target = { registryUrl: install.registryUrl, verified: previous }
    await applyRelease(agent, id, target, { mode: install.mode })
  } catch (error) {
    const both =
      `${reason}; the rollback to ${record.fromVersion} failed too: ` + (error as Error).message
    finish(agent, record, 'rollback-failed', both)
    agent.store.setOutcome(id, { warnings: install.warnings, lastError: both })
    throw new ArchyError('rollback-failed', `${id}: update to ${both}`, { cause: error })
  }
  finish(agent, record, 'rolled-back', reason)
  const lastError = `update to ${reason}; rolled back to ${record.fromVersion}`
  agent.store.setOutcome(id, { warnings: install.warnings, lastError })
  return {
    appId: id,
    from: record.fromVersion,
    to: record.toVersion,
    result: 'rolled-back',
    reason,
    warnings: record.warnings,
  }
}

async function waitForMembersHealthy(agent: Agent, app: InstalledApp): Promise<void> {
  const records = agent.store.listMembers(app.install.appId)
  for (const member of app.members) {
    const id = member.manifest.id
    const name = records.find((record) => record.appId === id)?.containerName ?? member.spec.name
    const target = { appId: id, name, hasCheck: member.spec.health !== undefined }
    await waitForHealthy(agent.podman, target, {
      timeoutMs: healthWindowMs(member, agent.healthTimeoutMs),
    })
  }
}

function finish(
  agent: Agent,
  record: UpdateRecord,
  state: UpdateRecord['state'],
  error: string | null,
): void {
  Object.assign(record, { state, error, finishedAt: new Date().toISOString() })
  agent.store.saveUpdate(record)
}

/** Installs that are not members of another (a stack updates as one). */
function listInstallIds(agent: Agent): string[] {
  return agent.store.listInstalls().map((install) => install.appId)
}
