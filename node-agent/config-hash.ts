// The config hash: SHA-256 over the canonical (RFC 8785) container spec. A container whose label
// differs from the hash of its desired spec is recreated; an equal one is left alone.
import { createHash } from 'node:crypto'

import { canonicalize } from '../src/proof/jcs.js'
import type { ContainerSpec } from './container-spec.js'

export const CONFIG_HASH_LABEL = 'archy.config-hash'
export const MANAGED_LABEL = 'archy.managed'

/** The hash of a spec, ignoring its own config-hash label. */
export function hashContainerSpec(spec: ContainerSpec): string {
  const { [CONFIG_HASH_LABEL]: _ignored, ...labels } = spec.labels
  return createHash('sha256')
    .update(canonicalize({ ...spec, labels }))
    .digest('hex')
}

/** The spec with its config hash and managed labels set. */
export function labelContainerSpec(spec: ContainerSpec): ContainerSpec {
  const labelled = { ...spec, labels: { ...spec.labels, [MANAGED_LABEL]: 'true' } }
  return {
    ...labelled,
    labels: { ...labelled.labels, [CONFIG_HASH_LABEL]: hashContainerSpec(labelled) },
  }
}
