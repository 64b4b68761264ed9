// An event's JSON as the relay stores and hashes it: the seven NIP-01 fields in one fixed order,
// written once per event object and shared by the verifier, the store and the store's writer
// thread, so an event that arrives is serialized once on the main thread (the verify worker cuts
// the id's preimage from it, and the writer thread stores it as it came).
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

/** Parses JSON that serializeEvent wrote, remembering it so the event is not serialized again. */
export function parseEventJson(json: string): NostrEvent {
  const event = JSON.parse(json) as NostrEvent
  written.set(event, json)
  return event
}
