// The relay's write policy: small named policies, each judging one rule of an incoming event and
// returning a refusal (a NIP-01 `OK` message with its prefix) or null. The relay runs them in
// order after the shape and signature checks; the first refusal wins.
import type { NostrEvent } from 'nostr-tools/pure'
import { exceedsCharacters } from './limits.js'

/** A refusal message (`blocked: ...`, `invalid: ...`) for `event`, or null to let it through. */
export type EventPolicy = (event: NostrEvent, now: number) => string | null

/** The kinds a registry node accepts by default (issue #3, "Write policy"). */
export const REGISTRY_KINDS: readonly number[] = [
  0, 3, 5, 1984, 1985, 10000, 10002, 22242, 30078, 30382,
]

/** NIP-78 `d` namespaces a registry keeps: a trailing `:` is a prefix, anything else exact. */
export const REGISTRY_APP_DATA_NAMESPACES: readonly string[] = [
  'archipelago-app:',
  'archipelago-catalog',
]

const APP_DATA_KIND = 30078

/** Refuses every kind not in `kinds` with `blocked:`. */
export function acceptOnlyKinds(kinds: Iterable<number>): EventPolicy {
  const accepted = new Set(kinds)
  return (event) =>
    accepted.has(event.kind) ? null : `blocked: kind ${event.kind} is not accepted by this relay`
}

/** Refuses a kind 30078 event whose first `d` value is outside `namespaces` (NIP-78). */
export function acceptOnlyAppDataNamespaces(namespaces: readonly string[]): EventPolicy {
  const matches = (d: string): boolean =>
    namespaces.some((space) => (space.endsWith(':') ? d.startsWith(space) : d === space))
  return (event) => {
    if (event.kind !== APP_DATA_KIND) return null
    const d = event.tags.find((tag) => tag[0] === 'd')?.[1] ?? ''
    if (matches(d)) return null
    return `blocked: kind 30078 is accepted only with a d tag in ${namespaces.join(', ')}`
  }
}

/** Refuses an event with more than `max` tags. */
export function rejectManyTags(max: number): EventPolicy {
  return (event) =>
    event.tags.length > max ? `invalid: more than ${max} tags (${event.tags.length})` : null
}

/** Refuses content longer than `max` characters, code points (NIP-11 `max_content_length`). */
export function rejectLongContent(max: number): EventPolicy {
  return (event) =>
    exceedsCharacters(event.content, max)
      ? `invalid: content is longer than ${max} characters`
      : null
}

/**
 * Refuses a created_at more than `maxFutureSeconds` ahead of the relay's clock, or more than
 * `maxPastSeconds` behind it; 0 turns either bound off (NIP-11 `created_at_*_limit`).
 */
export function rejectCreatedAtOutside(window: {
  maxPastSeconds: number
  maxFutureSeconds: number
}): EventPolicy {
  return (event, now) => {
    const { maxPastSeconds, maxFutureSeconds } = window
    if (maxFutureSeconds > 0 && event.created_at > now + maxFutureSeconds) {
      return `invalid: created_at is more than ${maxFutureSeconds} seconds in the future`
    }
    if (maxPastSeconds > 0 && event.created_at < now - maxPastSeconds) {
      return `invalid: created_at is more than ${maxPastSeconds} seconds in the past`
    }
    return null
  }
}

/** The first refusal of `policies`, in order, or null when every one lets `event` through. */
export function judgeEvent(
  policies: readonly EventPolicy[],
  event: NostrEvent,
  now: number,
): string | null {
  for (const policy of policies) {
    const refusal = policy(event, now)
    if (refusal !== null) return refusal
  }
  return null
}
