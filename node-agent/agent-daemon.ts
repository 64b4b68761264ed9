// `archy agent run` (DESIGN.md §5): holds the state lock for its whole life, reconciles every
// install at start (podman mode's boot reconcile) and then every interval, and serves the CLI on
// the local API. Operations and passes run one at a time; status is read beside them, so a slow
// pass never makes installed apps look absent.
import { userInfo } from 'node:os'

import type { Logger } from '../src/log.js'
import { openAgent, type Agent, type AgentOptions } from './agent-context.js'
import { startAgentApi, type AgentApi } from './agent-api.js'
import { watchCatalogAnnouncements } from './catalog-announcements.js'
import { refreshRegistry } from './catalog-follower.js'
import { checkPlace, performOperation, type OperationPlace } from './agent-operations.js'
import { logOperation, logOperationFailure, logPass } from './daemon-log.js'
import { checkLinger } from './linger.js'
import { runReconcilePass } from './reconcile-pass.js'
import { checkQuadletHost } from './runtime-mode.js'

export const DEFAULT_PASS_INTERVAL_MS = 30_000

export interface DaemonOptions extends AgentOptions {
  logger: Logger
  intervalMs?: number
}

export interface AgentDaemon {
  socket: string
  /** Stops passes and the API, waits for the work under way, releases the lock. */
  stop(): Promise<void>
}

/** Starts the daemon; fails (naming the holder) when another agent command holds the lock. */
export async function startAgentDaemon(options: DaemonOptions): Promise<AgentDaemon> {
  const log = options.logger
  const agent = await openAgent({ ...options, lockWaitMs: options.lockWaitMs ?? 0 })
  let api: AgentApi | undefined
  try {
    await warnAboutHost(agent, log)
    let queue: Promise<unknown> = Promise.resolve()
    const serialize = <T>(work: () => Promise<T>): Promise<T> => {
      const next = queue.then(work)
      queue = next.catch(() => undefined)
      return next
    }

    api = await startAgentApi({
      socket: agent.paths.socket,
      run(operation, progress) {
        checkPlace(agent, operation as OperationPlace)
        if (operation.op === 'status') return performOperation(agent, operation)
        return serialize(async () => {
          log.info({ op: operation.op }, 'operation')
          agent.progress = progress
          try {
            const result = await performOperation(agent, operation)
            logOperation(log, operation, result)
            return result
          } catch (error) {
            logOperationFailure(log, operation, error as Error)
            throw error
          } finally {
            agent.progress = undefined
          }
        })
      },
    })
    log.info({ socket: agent.paths.socket, pid: process.pid }, 'agent daemon started')

    // A new catalog is fetched (and verified) as soon as its registry announces it.
    const announcements = watchCatalogAnnouncements({
      store: agent.store,
      refresh: (registry) => serialize(() => refreshRegistry(agent.store, registry)),
      onError: (url, reason) => log.warn({ url, reason }, 'catalog announcement not followed'),
    })

    let stopping = false
    let timer: NodeJS.Timeout | undefined
    const intervalMs = options.intervalMs ?? DEFAULT_PASS_INTERVAL_MS
    const pass = async (): Promise<void> => {
      await serialize(() => runPass(agent, log))
      if (!stopping) timer = setTimeout(() => void pass(), intervalMs)
    }
    void pass()

    const started = api
    return {
      socket: agent.paths.socket,
      async stop() {
        stopping = true
        if (timer) clearTimeout(timer)
        announcements.close()
        await started.close()
        await queue
        await agent.close()
        log.info({}, 'agent daemon stopped')
      },
    }
  } catch (error) {
    await api?.close()
    await agent.close()
    throw error
  }
}

async function runPass(agent: Agent, log: Logger): Promise<void> {
  try {
    logPass(log, await runReconcilePass(agent))
  } catch (error) {
    log.error({ reason: (error as Error).message }, 'reconcile pass failed')
  }
}

/** Warns when apps will not come back after a reboot: linger off, or no user manager. */
async function warnAboutHost(agent: Agent, log: Logger): Promise<void> {
  const linger = await checkLinger(agent.exec)
  if (linger !== undefined) {
    log.warn({ user: userInfo().username, reason: linger }, 'apps may not come back after a reboot')
  }
  let version: string
  try {
    version = await agent.podman.version()
  } catch (error) {
    log.error({ reason: (error as Error).message }, 'podman unavailable')
    return
  }
  const obstacle = await checkQuadletHost(agent.exec, version)
  log.info({ podman: version, quadlet: obstacle ?? 'available' }, 'runtime probed')
}
