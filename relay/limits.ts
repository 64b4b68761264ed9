// Limits a relay enforces on each connection, with their defaults. The same values are advertised
// in the NIP-11 `limitation` object, so clients can stay inside them.

export interface RelayLimits {
  /** Largest WebSocket message in bytes; a larger one closes the connection (1009). */
  maxMessageLength: number
  /** Open subscriptions per connection. */
  maxSubscriptions: number
  /** Filters per REQ. */
  maxFilters: number
  /** Largest `limit` honoured in a REQ; also the limit of a filter that sets none. */
  maxLimit: number
  /** Longest subscription id, in characters (Unicode code points, as NIP-11 counts). */
  maxSubidLength: number
  /** Tags per event. */
  maxEventTags: number
  /** Longest event content, in characters (Unicode code points, as NIP-11 counts). */
  maxContentLength: number
  /** Oldest created_at accepted, in seconds before now; 0 accepts any age. */
  maxPastSeconds: number
  /** Newest created_at accepted, in seconds after now; 0 accepts any (not advised: an author
   * could date a replaceable event far ahead and no later version would displace it). */
  maxFutureSeconds: number
  /** Messages per second each client IP may send (token bucket refill); 0 turns it off. */
  ipMessagesPerSecond: number
  /** Messages an IP may send at once before the refill rate applies (bucket size). */
  ipMessageBurst: number
  /** Events per second each author (pubkey) may publish; 0 turns it off. */
  keyEventsPerSecond: number
  /** Events an author may publish at once before the refill rate applies. */
  keyEventBurst: number
  /** Bytes queued on a socket before a slow reader is disconnected. */
  maxBufferedBytes: number
  /** Milliseconds between pings; a connection that misses a pong is dropped at the next one. */
  pingIntervalMs: number
}

/** Whether `text` has more than `max` characters (code points: an emoji outside the BMP is one,
 * not its two UTF-16 units); only text longer than `max` in units is counted. */
export function exceedsCharacters(text: string, max: number): boolean {
  if (text.length <= max) return false
  let characters = 0
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index)
    // A high surrogate followed by a low one is a single code point.
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(index + 1)
      if (next >= 0xdc00 && next <= 0xdfff) index++
    }
    if (++characters > max) return true
  }
  return false
}

/** Whether a subscription id is 1 to `max` characters long (NIP-11 `max_subid_length`). */
export function isSubscriptionIdLength(id: string, max: number): boolean {
  return id.length > 0 && !exceedsCharacters(id, max)
}

export const DEFAULT_LIMITS: RelayLimits = {
  maxMessageLength: 512 * 1024,
  maxSubscriptions: 20,
  maxFilters: 10,
  maxLimit: 500,
  maxSubidLength: 64,
  maxEventTags: 2000,
  maxContentLength: 256 * 1024,
  // No lower bound: follow lists, profiles and releases stay current for years, and a relay that
  // refused old events could never converge with an upstream that stored them earlier (NIP-77).
  maxPastSeconds: 0,
  // 15 minutes of clock skew, as strfry's default (rejectEventsNewerThanSeconds).
  maxFutureSeconds: 15 * 60,
  ipMessagesPerSecond: 200,
  ipMessageBurst: 1000,
  keyEventsPerSecond: 20,
  keyEventBurst: 200,
  maxBufferedBytes: 8 * 1024 * 1024,
  pingIntervalMs: 30_000,
}

/**
 * The NIP-11 `limitation` object for these limits. `restrictedWrites` says whether the relay
 * refuses some well-formed events beyond these limits: a write policy (accepted kinds,
 * namespaces) or writes only from authenticated authors (NIP-11 `restricted_writes`).
 */
export function describeLimits(
  limits: RelayLimits,
  restrictedWrites: boolean,
): Record<string, unknown> {
  const document: Record<string, unknown> = {
    max_message_length: limits.maxMessageLength,
    max_subscriptions: limits.maxSubscriptions,
    max_filters: limits.maxFilters,
    max_limit: limits.maxLimit,
    max_subid_length: limits.maxSubidLength,
    max_event_tags: limits.maxEventTags,
    max_content_length: limits.maxContentLength,
    min_pow_difficulty: 0,
    auth_required: false,
    payment_required: false,
    restricted_writes: restrictedWrites,
    default_limit: limits.maxLimit,
  }
  // Seconds before and after now, as in NIP-11's example (31536000 for a year); absent: no bound.
  if (limits.maxPastSeconds > 0) document.created_at_lower_limit = limits.maxPastSeconds
  if (limits.maxFutureSeconds > 0) document.created_at_upper_limit = limits.maxFutureSeconds
  return document
}
