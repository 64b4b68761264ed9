// NIP-40 expiration: the Unix time after which an event is never served. An event that has
// already expired when it arrives is refused, and an expired version never blocks another one.
import type { NostrEvent } from 'nostr-tools/pure'
import { ValidationError } from '../src/errors.js'

const UNIX_SECONDS = /^(0|[1-9]\d{0,11})$/

/** The first `expiration` tag's time in seconds, or null when there is none. */
export function readExpiration(event: NostrEvent): number | null {
  const tag = event.tags.find((candidate) => candidate[0] === 'expiration')
  if (tag === undefined) return null
  const value = tag[1] ?? ''
  if (!UNIX_SECONDS.test(value)) {
    throw new ValidationError(
      'expiration',
      `must be a Unix time in seconds, got "${value.slice(0, 32)}"`,
    )
  }
  return Number(value)
}
