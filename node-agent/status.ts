// `archy agent status`: the store's installs (the source of truth) joined with one container
// listing. When Podman fails, every installed app is still shown, its container state unknown;
// a state that does not exist is shown empty, never created.
import type { Agent } from './agent-context.js'
import type { AgentPaths } from './agent-paths.js'
import type { DesiredState, MigrationRecord, RuntimeMode } from './agent-store.js'
import { CONFIG_HASH_LABEL } from './config-hash.js'
import { CRASH_LOOP, isBackingOff, isCrashLoop } from './crash-loop.js'
import { findAvailableVersion } from './update-policy.js'
import type { PodmanContainer } from './podman.js'
import {
  describeUnwanted,
  findUnwantedContainers,
  type UnwantedContainer,
} from './unwanted-containers.js'

export interface MemberStatus {
  appId: string
  container: string | null
  /** Podman's state, `absent`, `unknown` when Podman could not be asked, or `crash-loop`. */
  state: string
  /** Podman's own state when `state` is `crash-loop`. */
  podmanState?: string
  adopted: boolean
  /** The adoption that brought the app under the agent, if one did (kept after the recreate). */
  migration?: MigrationRecord
  /** Whether the container runs the config last applied; null when unknown. */
  current: boolean | null
}

export interface AppStatus {
  appId: string
  /** The version installed: a reinstall changes it only once the new release runs. */
  version: string
  /** A reinstall's version that has not run yet (each reconcile tries again); else null. */
  pendingVersion: string | null
  registryUrl: string
  publisherDid: string
  mode: RuntimeMode
  desired: DesiredState
  members: MemberStatus[]
  warnings: string[]
  lastError: string | null
  /** The version a pin holds the install at, or null. */
  pinnedVersion: string | null
  autoUpdate: boolean
  /** A newer release in the registry's last accepted catalog, not installed yet; else null. */
  updateAvailable: string | null
  /** The last update: its versions and how it ended (`updated`, `rolled-back`, ...). */
  lastUpdate: { from: string; to: string; state: string; error: string | null } | null
  /**
   * Recent failures (crash-loop.ts): `failing` below the threshold, `crash-loop` while backing
   * off, `retrying` once retried (a failure within the window backs it off again).
   */
  crashLoop: {
    state: 'failing' | 'crash-loop' | 'retrying'
    memberId: string
    failures: number
    lastExitCode: number | null
    lastError: string
    /** When the next pass may try again; null when it is not backing off now. */
    nextRetryAt: string | null
  } | null
}

export interface AgentStatus {
  stateDir: string
  dataRoot: string
  registries: { url: string; did: string; sequence: number | null; fetchedAt: string | null }[]
  apps: AppStatus[]
  /** Containers of this agent state that no install wants (never removed by the agent). */
  unwanted: UnwantedContainer[]
  podmanError: string | null
}

/** Collects the status from the store and one `podman ps`. */
export async function collectStatus(agent: Agent): Promise<AgentStatus> {
  let containers: PodmanContainer[] | undefined
  let podmanError: string | null = null
  try {
    containers = await agent.podman.listContainers()
  } catch (error) {
    podmanError = (error as Error).message
  }

  const registryRecords = agent.store.listRegistries()
  const apps = agent.store.listInstalls().map((install): AppStatus => {
    const failing = agent.store.getCrashLoop(install.appId)
    const looping = failing !== undefined && isBackingOff(failing, new Date())
    const members = agent.store.listMembers(install.appId).map((record): MemberStatus => {
      const container = containers?.find((candidate) => candidate.name === record.containerName)
      const label = container?.labels[CONFIG_HASH_LABEL]
      const state = containers === undefined ? 'unknown' : (container?.state ?? 'absent')
      const inLoop = looping && failing.memberId === record.appId
      return {
        appId: record.appId,
        container: container?.name ?? null,
        state: inLoop ? 'crash-loop' : state,
        ...(inLoop && { podmanState: state }),
        adopted: record.adopted,
        ...(record.migration && { migration: record.migration }),
        current: container ? (label ?? record.configHash) === record.configHash : null,
      }
    })
    const wanted = readReleaseVersion(install.release)
    const policy = agent.store.getPolicy(install.appId)
    const update = agent.store.getUpdate(install.appId)
    return {
      appId: install.appId,
      version: install.version,
      pendingVersion: wanted !== undefined && wanted !== install.version ? wanted : null,
      registryUrl: install.registryUrl,
      publisherDid: install.publisherDid,
      mode: install.mode,
      desired: install.desired,
      members,
      warnings: [...install.warnings, ...(update?.warnings ?? [])],
      lastError: install.lastError,
      pinnedVersion: policy.pinnedVersion,
      autoUpdate: policy.autoUpdate,
      updateAvailable: findAvailableVersion(install, registryRecords),
      lastUpdate: update
        ? {
            from: update.fromVersion,
            to: update.toVersion,
            state: update.state,
            error: update.error,
          }
        : null,
      crashLoop: failing
        ? {
            state: looping ? 'crash-loop' : isCrashLoop(failing) ? 'retrying' : 'failing',
            memberId: failing.memberId,
            failures: failing.failures,
            lastExitCode: failing.lastExitCode,
            lastError: failing.lastError,
            nextRetryAt: isBackingOff(failing, new Date()) ? failing.nextRetryAt : null,
          }
        : null,
    }
  })
  const registries = registryRecords.map(({ url, did, sequence, fetchedAt }) => ({
    url,
    did,
    sequence,
    fetchedAt,
  }))
  return {
    stateDir: agent.paths.stateDir,
    dataRoot: agent.paths.dataRoot,
    registries,
    apps,
    unwanted: containers === undefined ? [] : findUnwantedContainers(agent, containers),
    podmanError,
  }
}

/** The status of a state that does not exist: nothing followed, nothing installed. */
export function describeMissingState(
  paths: Pick<AgentPaths, 'stateDir' | 'dataRoot'>,
): AgentStatus {
  return {
    stateDir: paths.stateDir,
    dataRoot: paths.dataRoot,
    registries: [],
    apps: [],
    unwanted: [],
    podmanError: null,
  }
}

/** The stored release's version, for display only (acting on a release re-verifies it). */
function readReleaseVersion(release: unknown): string | undefined {
  const version = (release as { version?: unknown } | null)?.version
  return typeof version === 'string' ? version : undefined
}

/** The status as lines of text. */
export function renderStatus(status: AgentStatus): string {
  const lines: string[] = []
  for (const registry of status.registries) {
    lines.push(`registry ${registry.url} (${registry.did}, sequence ${registry.sequence ?? '-'})`)
  }
  if (status.apps.length === 0) lines.push('no apps installed')
  for (const app of status.apps) {
    lines.push(
      `${app.appId} ${app.version} (${app.mode} mode, wanted ${app.desired}) ` +
        `from ${app.registryUrl}`,
    )
    for (const member of app.members) {
      const notes = [describeAdoption(member), member.current === false ? 'config changed' : '']
      const note = notes.filter(Boolean).join(', ')
      lines.push(`  ${member.appId}: ${member.state}${note ? ` (${note})` : ''}`)
    }
    if (app.crashLoop) lines.push(`  ${renderCrashLoop(app.appId, app.crashLoop)}`)
    if (app.pinnedVersion) lines.push(`  pinned: ${app.pinnedVersion}`)
    if (app.updateAvailable) {
      const how = app.pinnedVersion
        ? `held by the pin; archy agent unpin ${app.appId} first`
        : app.autoUpdate
          ? 'the next reconcile updates it'
          : `archy agent update ${app.appId}`
      lines.push(`  update available: ${app.updateAvailable} (${how})`)
    }
    if (app.lastUpdate) {
      const { from, to, state } = app.lastUpdate
      lines.push(`  last update: ${from} -> ${to}: ${state}`)
    }
    if (app.pendingVersion) {
      lines.push(`  pending: ${app.pendingVersion} (its install has not succeeded yet)`)
    }
    for (const warning of app.warnings) lines.push(`  warning: ${warning}`)
    if (app.lastError) lines.push(`  last error: ${app.lastError}`)
  }
  for (const container of status.unwanted) lines.push(`unwanted: ${describeUnwanted(container)}`)
  if (status.podmanError) lines.push(`podman: ${status.podmanError} (container states unknown)`)
  return lines.join('\n')
}

/** `adopted from NAME at VERSION` while adopted; `migrated ...` once the agent recreated it. */
function describeAdoption(member: MemberStatus): string {
  const { migration } = member
  if (!migration) return member.adopted ? 'adopted' : ''
  const origin = `from ${migration.foundName} at ${migration.version}`
  return member.adopted ? `adopted ${origin}` : `migrated ${origin}`
}

function renderCrashLoop(appId: string, loop: NonNullable<AppStatus['crashLoop']>): string {
  const times = loop.failures === 1 ? '1 time' : `${loop.failures} times`
  const code = loop.lastExitCode === null ? '' : `, last exit code ${loop.lastExitCode}`
  const what = `${loop.state}: ${loop.memberId} failed ${times}${code}: ${loop.lastError}`
  const retry = `archy agent start ${appId} retries now`
  if (loop.state === 'failing') {
    const minutes = CRASH_LOOP.windowMs / 60_000
    return `${what} (${CRASH_LOOP.threshold} failures within ${minutes} min back it off)`
  }
  if (loop.state === 'retrying') return `${what}; retried, backed off again if it fails soon`
  return `${what}; next retry at ${loop.nextRetryAt} (${retry})`
}
