// The reconciler's decision for one app (DESIGN.md §5): from desired state and what Podman shows,
// nothing, create, start, stop, recreate (the config hash changed, or the last create never
// finished), adopt, or a refusal (another agent state's container). Pure: each case a table row.
import { APP_LABEL } from './container-spec.js'
import { AGENT_LABEL, CONFIG_HASH_LABEL } from './config-hash.js'
import type { DesiredState } from './agent-store.js'
import type { PodmanContainer } from './podman.js'

export type MemberStep = 'create' | 'start' | 'stop' | 'recreate' | 'adopt'

export interface MemberObservation {
  appId: string
  /** This agent state's id (the value of its archy.agent label). */
  agentId: string
  desired: DesiredState
  /** The hash of the spec the app should run with now. */
  configHash: string
  /** The container found for this app (by name, recorded name, legacy name or label), if any. */
  container?: PodmanContainer
  /** The store's record: adopted containers carry no hash label, so the store remembers it. */
  adopted: boolean
  /** The hash the store recorded once the last create's hooks succeeded (null: none did). */
  recordedHash: string | null
}

export interface MemberDecision {
  steps: MemberStep[]
  reason: string
  /** Set when another agent state manages the container: its archy.agent label. Never touched. */
  otherAgent?: string
}

/** Decides what to do for one app; never more than one container per app. */
export function decideMember(observation: MemberObservation): MemberDecision {
  const { container, desired } = observation
  if (!container) {
    return desired === 'running'
      ? { steps: ['create'], reason: 'no container' }
      : { steps: [], reason: 'stopped, no container' }
  }

  // Another agent state's container is never adopted, recreated, stopped or removed. One with
  // archy labels but no agent label predates the label and is judged as before.
  const otherAgent = findOtherAgent(container, observation.agentId)
  if (otherAgent !== undefined) {
    return { steps: [], reason: "another agent state's container", otherAgent }
  }

  const owned = container.labels[APP_LABEL] === observation.appId
  const steps: MemberStep[] = []
  const labelHash = container.labels[CONFIG_HASH_LABEL] ?? null
  let currentHash = labelHash
  if (!owned && !observation.adopted) {
    // Someone else's container under this app's name: take it over as it is.
    steps.push('adopt')
    currentHash = observation.configHash
  } else if (currentHash === null) {
    currentHash = observation.recordedHash
  }

  const running = container.state === 'running'
  if (desired === 'running' && currentHash !== observation.configHash) {
    return { steps: [...steps, 'recreate'], reason: 'config hash changed' }
  }
  // Our container with the desired hash, which the store never recorded: its create stopped
  // between `podman run` and the end of the post_install hooks (a crash or a failed hook).
  const unfinished = owned && labelHash !== null && observation.recordedHash !== labelHash
  if (desired === 'running' && unfinished) {
    return { steps: [...steps, 'recreate'], reason: 'the last create did not finish' }
  }
  if (desired === 'running' && !running) {
    return { steps: [...steps, 'start'], reason: `container is ${container.state}` }
  }
  if (desired === 'stopped' && running) return { steps: [...steps, 'stop'], reason: 'stop wanted' }
  return { steps, reason: steps.length > 0 ? 'adopted' : 'up to date' }
}

/** The container that belongs to an app, by the first rule that finds one. */
export function findMemberContainer(
  containers: PodmanContainer[],
  appId: string,
  names: { recorded?: string; legacy: string[] },
): PodmanContainer | undefined {
  const byName = (name: string): PodmanContainer | undefined =>
    containers.find((container) => container.name === name)
  return (
    byName(appId) ??
    (names.recorded ? byName(names.recorded) : undefined) ??
    names.legacy.map(byName).find((container) => container !== undefined) ??
    containers.find((container) => container.labels[APP_LABEL] === appId)
  )
}

/** The archy.agent label of a container another agent state made; undefined for this one's. */
export function findOtherAgent(container: PodmanContainer, agentId: string): string | undefined {
  const label = container.labels[AGENT_LABEL]
  return label !== undefined && label !== agentId ? label : undefined
}
