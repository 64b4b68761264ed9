// Opening the agent for one command: state directory, exclusive lock, store, the node's keys and
// placeholder values, and the Podman driver, all behind one object that commands pass around.
import { access, mkdir } from 'node:fs/promises'

import { ArchyError } from '../src/errors.js'
import { resolveAgentPaths } from './agent-paths.js'
import type { AgentPaths } from './agent-paths.js'
import { openAgentStore } from './agent-store.js'
import type { AgentStore } from './agent-store.js'
import type { NodeContext } from './container-spec.js'
import { execCommand } from './exec.js'
import type { Exec } from './exec.js'
import { detectHostValues } from './host-values.js'
import { describeNodeKeys, loadNodeKeys } from './node-keys.js'
import { pinDataRoot } from './data-root-pin.js'
import { createPodman } from './podman.js'
import type { Podman, PodmanInfo } from './podman.js'
import { withPodmanRetries } from './podman-retry.js'
import { readPodmanTimeout } from './podman-timeout.js'
import { describeLimitSupport } from './resource-limits.js'
import type { LimitSupport } from './resource-limits.js'
import { acquireStateLock } from './state-lock.js'
import type { ProgressListener } from './artifact-fetch.js'

export interface AgentOptions {
  state?: string
  dataRoot?: string
  hostIp?: string
  /** The seam for podman and systemctl; tests pass a stub. */
  exec?: Exec
  lockWaitMs?: number
  healthTimeoutMs?: number
  /** Each ordinary Podman call's timeout (default: ARCHY_PODMAN_TIMEOUT_MS, else 60 s). */
  podmanTimeoutMs?: number
}

export interface Agent {
  /** This state's id: the node's Nostr public key, labelled on every container it makes. */
  agentId: string
  paths: AgentPaths
  store: AgentStore
  podman: Podman
  exec: Exec
  context: NodeContext
  healthTimeoutMs: number
  /** Told how downloads advance, for the command running now (the CLI draws a bar). */
  progress?: ProgressListener
  /** Which resource limits Podman here can enforce (asked once, from `podman info`). */
  limitSupport(): Promise<LimitSupport>
  /** Refuses a Podman that runs as root: apps run on rootless Podman only (DESIGN.md §2). */
  requireRootless(): Promise<void>
  close(): Promise<void>
}

/** Opens the agent under its lock; close() releases it. */
export async function openAgent(options: AgentOptions = {}): Promise<Agent> {
  // A bad setting fails before anything is opened or made, naming its key.
  const podmanTimeoutMs = options.podmanTimeoutMs ?? readPodmanTimeout()
  const requested = resolveAgentPaths({ state: options.state, dataRoot: options.dataRoot })
  await makeStateDir(requested.stateDir)
  const lock = await acquireStateLock(requested.lockFile, {
    waitMs: options.lockWaitMs ?? 10_000,
  })
  let store: AgentStore | undefined
  try {
    store = openAgentStore(requested.database)
    const dataRoot = await pinDataRoot(requested.stateDir, requested.dataRoot, {
      explicit: (options.dataRoot ?? process.env.ARCHY_DATA_ROOT) !== undefined,
      hasInstalls: store.listInstalls().length > 0,
    })
    const paths = { ...requested, dataRoot }
    const keys = await loadNodeKeys(paths.nodeKeys)
    const host = await detectHostValues(options.hostIp)
    const exec = options.exec ?? execCommand
    const podman = withPodmanRetries(createPodman({ exec, timeoutMs: podmanTimeoutMs }))
    let info: Promise<PodmanInfo> | undefined
    const podmanInfo = (): Promise<PodmanInfo> => (info ??= podman.info())
    const opened = store
    return {
      agentId: keys.nostr.pubkey,
      paths,
      store: opened,
      podman,
      exec,
      context: { dataRoot: paths.dataRoot, values: { ...host, ...describeNodeKeys(keys) } },
      healthTimeoutMs: options.healthTimeoutMs ?? 120_000,
      limitSupport() {
        return podmanInfo().then(describeLimitSupport)
      },
      async requireRootless() {
        if ((await podmanInfo()).rootless) return
        throw new ArchyError(
          'not-rootless',
          'Podman runs as root here; apps are installed on rootless Podman only: ' +
            'run the agent as an unprivileged user',
        )
      },
      async close() {
        opened.close()
        await lock.release()
      },
    }
  } catch (error) {
    store?.close()
    await lock.release()
    throw error
  }
}

/**
 * Whether an agent state exists (its store was made): a read-only command on a state that does
 * not exist reports it empty rather than opening it, which would create the directory and keys.
 */
export async function hasAgentState(paths: Pick<AgentPaths, 'database'>): Promise<boolean> {
  try {
    await access(paths.database)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}

/** Makes the state directory (0700), naming --state when the system refuses. */
async function makeStateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new ArchyError('state-unusable', `--state: cannot create ${dir} (${reason})`, {
      cause: error,
    })
  }
}

/** Runs work with an open agent and always closes it. */
export async function withAgent<T>(
  options: AgentOptions,
  work: (agent: Agent) => Promise<T>,
): Promise<T> {
  const agent = await openAgent(options)
  try {
    return await work(agent)
  } finally {
    await agent.close()
  }
}
