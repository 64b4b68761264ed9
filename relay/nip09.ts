// NIP-09 deletion requests: which events a kind 5 event asks to delete. Only the author's own
// events can be deleted, so an `a` address naming another pubkey is dropped here and an `e` id is
// matched against the author when the store applies it.
import type { NostrEvent } from 'nostr-tools/pure'
import { classifyKind } from './kinds.js'

export const DELETION_KIND = 5

export interface DeletionTargets {
  /** Event ids from `e` tags; the store deletes only those whose pubkey is the requester's. */
  ids: string[]
  /** `kind:pubkey:d` addresses from `a` tags, already limited to the requester's own. */
  addresses: string[]
}

const HEX_64 = /^[0-9a-f]{64}$/
const ADDRESS = /^(\d{1,5}):([0-9a-f]{64}):(.*)$/s

/** The targets of a deletion request; empty for any other kind. */
export function readDeletionTargets(event: NostrEvent): DeletionTargets {
  const targets: DeletionTargets = { ids: [], addresses: [] }
  if (event.kind !== DELETION_KIND) return targets

  for (const [name, value] of event.tags) {
    if (value === undefined) continue
    if (name === 'e' && HEX_64.test(value)) targets.ids.push(value)
    if (name === 'a' && isOwnAddress(value, event.pubkey)) targets.addresses.push(value)
  }
  return targets
}

function isOwnAddress(address: string, pubkey: string): boolean {
  const match = ADDRESS.exec(address)
  if (!match || match[2] !== pubkey) return false
  const kindClass = classifyKind(Number(match[1]))
  // A replaceable kind has no `d`: its address ends with the colon.
  if (kindClass === 'replaceable') return match[3] === ''
  return kindClass === 'addressable'
}
