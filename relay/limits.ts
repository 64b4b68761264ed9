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
  /** Longest subscription id, in characters. */
  maxSubidLength: number
  /** Bytes queued on a socket before a slow reader is disconnected. */
  maxBufferedBytes: number
  /** Milliseconds between pings; a connection that misses a pong is dropped at the next one. */
  pingIntervalMs: number
}

export const DEFAULT_LIMITS: RelayLimits = {
  maxMessageLength: 512 * 1024,
  maxSubscriptions: 20,
  maxFilters: 10,
  maxLimit: 500,
  maxSubidLength: 64,
  maxBufferedBytes: 8 * 1024 * 1024,
  pingIntervalMs: 30_000,
}

/** The NIP-11 `limitation` object for these limits. */
export function describeLimits(limits: RelayLimits): Record<string, unknown> {
  return {
    max_message_length: limits.maxMessageLength,
    max_subscriptions: limits.maxSubscriptions,
    max_filters: limits.maxFilters,
    max_limit: limits.maxLimit,
    max_subid_length: limits.maxSubidLength,
    default_limit: limits.maxLimit,
    auth_required: false,
    payment_required: false,
    restricted_writes: false,
  }
}
