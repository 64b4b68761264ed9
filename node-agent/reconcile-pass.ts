// One reconcile pass over every install (what the daemon runs every 30 s and `archy agent
// reconcile` runs once): catalogs refreshed, operator-approved updates applied, then each install
// converged. One app's failure is recorded on it and never stops the others.
import type { Agent } from './agent-context.js'
import { findCatalogCandidates } from './catalog-search.js'
import { reconcileApp } from './lifecycle.js'
import type { PodmanContainer } from './podman.js'
import { listContainersOnce, type AppliedStep } from './reconciler.js'
import { updateApp, type UpdateOutcome } from './update.js'
import { describeUnwanted, findUnwantedContainers } from './unwanted-containers.js'
import { isBackingOff } from './crash-loop.js'

export interface PassResult {
  steps: AppliedStep[]
  updates: UpdateOutcome[]
  /** One line per app that failed: `<id>: <message>`. */
  errors: string[]
  /** Degraded but not failed: a catalog that could not be refreshed. */
  warnings: string[]
}

export interface PassOptions {
  /** Only this install (by its id or a member's). */
  appId?: string
  /** Apply updates of installs whose auto-update is on (default true). */
  autoUpdate?: boolean
}

/** Runs one pass; never throws for an app's failure. */
export async function runReconcilePass(
  agent: Agent,
  options: PassOptions = {},
): Promise<PassResult> {
  const result: PassResult = { steps: [], updates: [], errors: [], warnings: [] }
  const installs = agent.store
    .listInstalls()
    .filter(
      (install) => options.appId === undefined || install.appId === ownerOf(agent, options.appId),
    )

  const wantsUpdates = installs.filter((install) => {
    const policy = agent.store.getPolicy(install.appId)
    return (options.autoUpdate ?? true) && policy.autoUpdate && policy.pinnedVersion === null
  })
  if (agent.store.listRegistries().length > 0) {
    // Refreshes every followed catalog once, so status shows what is available and the key the
    // agent follows now, even with nothing installed.
    await findCatalogCandidates(agent.store).catch((error: Error) => {
      result.warnings.push(`catalogs not refreshed: ${error.message}`)
    })
  }
  // One container listing for the whole pass (DESIGN.md §5): an app's steps touch only its own
  // containers. A Podman that cannot list fails every app, and never makes one look absent.
  let listed: PodmanContainer[] = []
  try {
    if (installs.length > 0) listed = await listContainersOnce(agent)
  } catch (error) {
    for (const install of installs) {
      result.errors.push(describeAppError(install.appId, (error as Error).message))
    }
    return result
  }
  // Containers of this state that nothing wants are reported, never removed.
  if (options.appId === undefined) {
    result.warnings.push(...findUnwantedContainers(agent, listed).map(describeUnwanted))
  }
  for (const install of installs) {
    try {
      let changed = false
      if (wantsUpdates.includes(install)) {
        const outcome = await updateApp(agent, install.appId, { explicit: false })
        if (outcome.result === 'updated' || outcome.result === 'rolled-back') {
          result.updates.push(outcome)
          changed = true
        }
      }
      // An update just changed this app's containers: it lists them again.
      result.steps.push(...(await reconcileApp(agent, install.appId, changed ? undefined : listed)))
      const backoff = agent.store.getCrashLoop(install.appId)
      if (backoff && isBackingOff(backoff, new Date())) {
        result.warnings.push(
          `${install.appId}: crash loop (${backoff.lastError}): left alone until ` +
            `${backoff.nextRetryAt}; archy agent start ${install.appId} retries now`,
        )
      }
    } catch (error) {
      result.errors.push(describeAppError(install.appId, (error as Error).message))
    }
  }
  return result
}

function ownerOf(agent: Agent, appId: string): string {
  return agent.store.findOwner(appId) ?? appId
}

/** An app's failure as a pass reports it: `<id>: <message>`, the id once when the message has it. */
export function describeAppError(appId: string, message: string): string {
  return message.startsWith(`${appId}: `) ? message : `${appId}: ${message}`
}
