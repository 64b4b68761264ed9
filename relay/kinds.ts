// NIP-01 kind ranges: which events replace earlier ones, which are never stored, and the address
// under which a replaceable or addressable event is kept.
import type { NostrEvent } from 'nostr-tools/pure'

export type KindClass = 'regular' | 'replaceable' | 'ephemeral' | 'addressable'

/** The storage class of a kind (NIP-01, "Kinds"). */
export function classifyKind(kind: number): KindClass {
  if (kind === 0 || kind === 3 || (kind >= 10000 && kind < 20000)) return 'replaceable'
  if (kind >= 20000 && kind < 30000) return 'ephemeral'
  if (kind >= 30000 && kind < 40000) return 'addressable'
  return 'regular'
}

/**
 * `kind:pubkey:d` for replaceable and addressable events, null for the rest. The `d` value is the
 * first value of the first `d` tag; no `d` tag (or one without a value) means the empty string.
 */
export function addressOf(event: NostrEvent): string | null {
  const kindClass = classifyKind(event.kind)
  if (kindClass === 'replaceable') return `${event.kind}:${event.pubkey}:`
  if (kindClass !== 'addressable') return null

  const dTag = event.tags.find((tag) => tag[0] === 'd')
  return `${event.kind}:${event.pubkey}:${dTag?.[1] ?? ''}`
}

/**
 * True when `candidate` should replace `current` at the same address: a newer created_at wins,
 * and on equal created_at the lower id wins (NIP-01).
 */
export function supersedes(
  candidate: Pick<NostrEvent, 'id' | 'created_at'>,
  current: Pick<NostrEvent, 'id' | 'created_at'>,
): boolean {
  if (candidate.created_at !== current.created_at) return candidate.created_at > current.created_at
  return candidate.id < current.id
}
