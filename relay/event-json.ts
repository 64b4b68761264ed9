// An event's JSON as the relay stores and hashes it: the seven NIP-01 fields in one fixed order,
// written once per event object and shared by the verifier and the store, so an event that
// arrives is serialized once on the main thread (the verify worker cuts the id's preimage from it).
import type { NostrEvent } from 'nostr-tools/pure'

// Keyed by identity, so a copy with one field changed ({ ...event, sig }) is serialized anew.
const written = new WeakMap<NostrEvent, string>()

/** The event as JSON.stringify writes `{ id, pubkey, created_at, kind, tags, content, sig }`. */
export function serializeEvent(event: NostrEvent): string {
  let json = written.get(event)
  if (json === undefined) {
    const { id, pubkey, created_at, kind, tags, content, sig } = event
    json = JSON.stringify({ id, pubkey, created_at, kind, tags, content, sig })
    written.set(event, json)
  }
  return json
}
