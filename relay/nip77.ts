// NIP-77 negentropy syncing, the relay's side: NEG-OPEN selects the stored events matching one
// filter and answers as the responder; NEG-MSG continues, NEG-CLOSE ends; refusals are NEG-ERR.
import type { NostrEvent } from 'nostr-tools/pure'
import { ValidationError, describeError } from '../src/errors.js'
import { parseFilters } from './filters.js'
import type { ParsedFilter } from './filters.js'
import { createNegentropy, MIN_FRAME_SIZE_LIMIT } from './negentropy.js'
import { fromHex, sortItems, toHex } from './negentropy-wire.js'
import type { Negentropy } from './negentropy.js'
import { isSubscriptionIdLength } from './limits.js'

export interface NegentropyLimits {
  /** Open negentropy sessions per connection. */
  maxSessions: number
  /** Most events one NEG-OPEN may select; a larger set is refused with `blocked:`. */
  maxRecords: number
  /** Largest binary message in the relay's NEG-MSG answers (the hex is twice as long); a
   * longer answer ends with a fingerprint for the rest, which the client asks about next.
   * 0: none. */
  frameSizeLimit: number
}

export const DEFAULT_NEGENTROPY_LIMITS: NegentropyLimits = {
  maxSessions: 4,
  maxRecords: 500_000,
  // strfry's and nostr-tools' choice: its hex in a NEG-MSG fits a 128 KiB WebSocket message.
  frameSizeLimit: 60_000,
}

/** The defaults with `overrides`, each checked: a bad one throws naming `negentropy.<key>`. */
export function readNegentropyLimits(overrides: Partial<NegentropyLimits> = {}): NegentropyLimits {
  const limits = { ...DEFAULT_NEGENTROPY_LIMITS, ...overrides }
  const check = (key: keyof NegentropyLimits, ok: boolean, rule: string): void => {
    if (!ok) throw new ValidationError(`negentropy.${key}`, `must be ${rule}, got ${limits[key]}`)
  }
  check(
    'maxSessions',
    Number.isSafeInteger(limits.maxSessions) && limits.maxSessions >= 0,
    'a whole number (0 turns NIP-77 off)',
  )
  check(
    'maxRecords',
    Number.isSafeInteger(limits.maxRecords) && limits.maxRecords > 0,
    'a positive integer',
  )
  check(
    'frameSizeLimit',
    Number.isSafeInteger(limits.frameSizeLimit) &&
      (limits.frameSizeLimit === 0 || limits.frameSizeLimit >= MIN_FRAME_SIZE_LIMIT),
    `0 (no limit) or at least ${MIN_FRAME_SIZE_LIMIT} bytes`,
  )
  return limits
}

export interface NegentropyServerOptions {
  limits: NegentropyLimits
  maxSubidLength: number
  query(filters: ParsedFilter[]): NostrEvent[]
  send(message: unknown[]): void
}

export interface NegentropyServer {
  open(subscriptionId: string, filter: unknown, message: string): void
  message(subscriptionId: string, message: string): void
  close(subscriptionId: string): void
  /** Drops every session (the connection closed). */
  closeAll(): void
}

/** The negentropy sessions of one connection. */
export function createNegentropyServer(options: NegentropyServerOptions): NegentropyServer {
  const sessions = new Map<string, Negentropy>()
  const { limits, send } = options

  function refuse(id: string, reason: string): void {
    sessions.delete(id)
    send(['NEG-ERR', id, reason])
  }

  function open(id: string, rawFilter: unknown, message: string): void {
    // A NEG-OPEN reusing an open id replaces that session (NIP-77).
    sessions.delete(id)
    if (!isSubscriptionIdLength(id, options.maxSubidLength)) {
      return refuse(
        id,
        `invalid: subscription id must be 1 to ${options.maxSubidLength} characters`,
      )
    }
    if (sessions.size >= limits.maxSessions) {
      return refuse(id, `blocked: too many open negentropy sessions (max ${limits.maxSessions})`)
    }

    let filters: ParsedFilter[]
    try {
      filters = parseFilters([rawFilter])
    } catch (error) {
      return refuse(id, `invalid: ${describeError(error)}`)
    }

    // One event past the limit is enough to refuse: the rest of a large set is never read.
    const cap = limits.maxRecords + 1
    const bounded = filters.map((filter) => ({
      ...filter,
      limit: Math.min(filter.limit ?? cap, cap),
    }))
    const events = options.query(bounded)
    if (events.length > limits.maxRecords) {
      return refuse(id, `blocked: this query selects more than ${limits.maxRecords} events`)
    }
    const items = sortItems(
      events.map((event) => ({ timestamp: event.created_at, id: fromHex(event.id, 'id') })),
    )
    const session = createNegentropy(items, 'responder', { frameSizeLimit: limits.frameSizeLimit })
    sessions.set(id, session)
    answer(id, session, message)
  }

  function answer(id: string, session: Negentropy, message: string): void {
    let reply: Uint8Array | null
    try {
      reply = session.reconcile(fromHex(message, 'message')).message
    } catch (error) {
      return refuse(id, `invalid: ${describeError(error)}`)
    }
    if (reply !== null) send(['NEG-MSG', id, toHex(reply)])
  }

  function message(id: string, text: string): void {
    const session = sessions.get(id)
    if (!session) return refuse(id, 'closed: no open negentropy session with this id')
    answer(id, session, text)
  }

  return {
    open,
    message,
    close: (id) => void sessions.delete(id),
    closeAll: () => sessions.clear(),
  }
}
