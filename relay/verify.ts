// The one seam for event integrity: id recomputation and BIP-340 signature check. Today it is
// nostr-tools' pure-JS verifier; TODO(#3): swap in a native verifier on a worker pool.
import { getEventHash, verifyEvent } from 'nostr-tools/pure'
import type { NostrEvent } from 'nostr-tools/pure'
import { VerificationError } from '../src/errors.js'

/** Throws VerificationError when the id is not the event's hash or the signature is bad. */
export function verifyEventIntegrity(event: NostrEvent): void {
  if (getEventHash(event) !== event.id) {
    throw new VerificationError('event id does not match the hash of its content')
  }

  // A copy of the seven fields: nostr-tools caches a verdict on the object under a symbol, and a
  // caller's object may already carry one.
  const { id, pubkey, created_at, kind, tags, content, sig } = event
  if (!verifyEvent({ id, pubkey, created_at, kind, tags, content, sig })) {
    throw new VerificationError('signature does not verify for this pubkey')
  }
}
