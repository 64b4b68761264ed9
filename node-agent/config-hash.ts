// The config hash: SHA-256 over the canonical (RFC 8785) container spec. A container whose label
// differs from the hash of its desired spec is recreated; an equal one is left alone.
import { createHash } from 'node:crypto'

import { canonicalize } from '../src/proof/jcs.js'
import type { ContainerSpec } from './container-spec.js'

export const CONFIG_HASH_LABEL = 'archy.config-hash'
export const MANAGED_LABEL = 'archy.managed'
/** Which agent state made the container: that state's node Nostr public key (node-keys.ts). */
export const AGENT_LABEL = 'archy.agent'

/**
 * The hash of a spec, ignoring its own config-hash label and the agent label: the agent label
 * says who manages a container, not how it runs, so a container made before it existed (or by
 * a state whose keys were made again) does not look changed.
 */
export function hashContainerSpec(spec: ContainerSpec): string {
  const { [CONFIG_HASH_LABEL]: _hash, [AGENT_LABEL]: _agent, ...labels } = spec.labels
  return createHash('sha256')
    .update(canonicalize({ ...spec, labels }))
    .digest('hex')
}

/** The spec with the managed label, the agent label of `agentId` and its config hash set. */
export function labelContainerSpec(spec: ContainerSpec, agentId: string): ContainerSpec {
  const labels = { ...spec.labels, [MANAGED_LABEL]: 'true', [AGENT_LABEL]: agentId }
  const labelled = { ...spec, labels }
  return { ...labelled, labels: { ...labels, [CONFIG_HASH_LABEL]: hashContainerSpec(labelled) } }
}
