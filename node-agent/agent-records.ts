// The records the agent keeps (node-agent/agent-store.ts holds them in SQLite): followed
// registries, installs and their members, update policies and updates, crash loops and what passes
// last saw of each container.
export type DesiredState = 'running' | 'stopped'
export type RuntimeMode = 'podman' | 'quadlet'

export interface RegistryRecord {
  url: string
  did: string
  sequence: number | null
  contentDigest: string | null
  catalog: unknown
  addedAt: string
  fetchedAt: string | null
}

export interface InstallRecord {
  appId: string
  registryUrl: string
  publisherDid: string
  /** The version installed: the release's once every member ran it, the previous one until then. */
  version: string
  /** The signed release to converge on; re-verified whenever it is read back. */
  release: unknown
  desired: DesiredState
  mode: RuntimeMode
  warnings: string[]
  lastError: string | null
  installedAt: string
  updatedAt: string
}

export interface MemberRecord {
  appId: string
  installId: string
  /** Order in the stack: dependencies first. */
  position: number
  containerName: string
  /** The config hash of the container last adopted, or created with its hooks run (else null). */
  configHash: string | null
  adopted: boolean
  /** How the app came under the agent, when it adopted a container; absent for a plain create. */
  migration?: MigrationRecord
}

/**
 * An adoption (DESIGN.md §5): the container found under `foundName` (a legacy name, or the app's
 * own) was taken over into release `version`. Kept as history once the container is recreated.
 */
export interface MigrationRecord {
  foundName: string
  /** Whether `foundName` was one of the manifest's `legacy_names` rather than the app's id. */
  legacyName: boolean
  version: string
  adoptedAt: string
  /** When a recreate replaced the adopted container with one carrying the agent's labels. */
  relabelledAt: string | null
}

/** How updates treat an install: a pinned version is never moved off by a reconcile or update. */
export interface UpdatePolicy {
  pinnedVersion: string | null
  /** Whether a reconcile pass moves to a newer catalog release by itself (operator's choice). */
  autoUpdate: boolean
}

export type UpdateState = 'updating' | 'updated' | 'rolled-back' | 'rollback-failed'

/** The last update of an install: enough to finish or roll it back after a crash. */
export interface UpdateRecord {
  appId: string
  state: UpdateState
  fromVersion: string
  toVersion: string
  /** The signed release running before the update: what a rollback returns to. */
  fromRelease: unknown
  /** Data directory snapshots taken before the update (member id and directory). */
  snapshots: { appId: string; dir: string }[]
  warnings: string[]
  error: string | null
  startedAt: string
  finishedAt: string | null
}

/**
 * An install's recent failures (crash-loop.ts): `memberId` failed last; `backoffs` doubles the
 * delay each time; until `nextRetryAt` passes leave the app alone (`stopped`: its failing member
 * was stopped for it). Survives an agent restart.
 */
export interface CrashLoopRecord {
  appId: string
  memberId: string
  failures: number
  firstFailureAt: string
  lastFailureAt: string
  lastExitCode: number | null
  lastError: string
  backoffs: number
  nextRetryAt: string | null
  retriedAt: string | null
  stopped: boolean
}

/** What a pass last saw of a member's container (restartCount null: Podman was not asked). */
export interface RestartBaseline {
  memberId: string
  containerId: string
  startedAt: string
  restartCount: number | null
}
