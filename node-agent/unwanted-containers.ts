// Containers this agent state made (its archy.agent label) that no install wants: left by a lost
// or restored store, or an uninstall cut short. Reported by status and every pass, never removed:
// an app may have kept state in its own layer, and only the operator knows whether it matters.
import type { Agent } from './agent-context.js'
import { AGENT_LABEL } from './config-hash.js'
import { APP_LABEL } from './container-spec.js'
import type { PodmanContainer } from './podman.js'

export interface UnwantedContainer {
  name: string
  /** The app its archy.app label names. */
  appId: string
  state: string
}

/** This state's containers that are neither an installed member nor its recorded container. */
export function findUnwantedContainers(
  agent: Pick<Agent, 'agentId' | 'store'>,
  containers: PodmanContainer[],
): UnwantedContainer[] {
  const wanted = new Set<string>()
  for (const install of agent.store.listInstalls()) {
    for (const member of agent.store.listMembers(install.appId)) {
      wanted.add(member.appId)
      wanted.add(member.containerName)
    }
  }
  return containers
    .filter((container) => container.labels[AGENT_LABEL] === agent.agentId)
    .filter((container) => !wanted.has(container.name))
    .filter((container) => !wanted.has(container.labels[APP_LABEL] ?? container.name))
    .map((container) => ({
      name: container.name,
      appId: container.labels[APP_LABEL] ?? container.name,
      state: container.state,
    }))
}

/** One line for an unwanted container: what it is and how to remove it. */
export function describeUnwanted(container: UnwantedContainer): string {
  return (
    `container ${container.name} (app ${container.appId}, ${container.state}) is this agent's ` +
    `but no install wants it; it is left as it is: podman rm --force ${container.name} ` +
    'removes it (data under the data root stays)'
  )
}
