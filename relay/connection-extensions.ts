// The per-connection part of NIP-42 (AUTH), NIP-45 (COUNT) and NIP-77 (NEG-*): the connection
// hands these messages here and asks `auth` who is authenticated when an EVENT arrives.
import type { NostrEvent } from 'nostr-tools/pure'
import { describeError } from '../src/errors.js'
import { readEventId } from './event-shape.js'
import type { CountResult } from './event-count.js'
import type { ExtensionMessage } from './extension-messages.js'
import { parseFilters } from './filters.js'
import type { ParsedFilter } from './filters.js'
import { isSubscriptionIdLength } from './limits.js'
import type { RelayLimits } from './limits.js'
import { openAuthSession, verifyAuthEvent } from './nip42.js'
import type { AuthSession } from './nip42.js'
import { createNegentropyServer } from './nip77.js'
import type { NegentropyLimits } from './nip77.js'

export interface ExtensionContext {
  limits: RelayLimits
  negentropy: NegentropyLimits
  /** The relay URL an AUTH event must name. */
  relayUrl: string
  authWindowSeconds: number
  query(filters: ParsedFilter[]): NostrEvent[]
  /** NIP-45 over the store's indexes, refused past its budget (relay/event-count.ts). */
  count(filters: ParsedFilter[]): CountResult
  send(message: unknown[]): void
}

export interface ConnectionExtensions {
  auth: AuthSession
  /** The AUTH challenge to send when the connection opens (NIP-42). */
  greeting: unknown[]
  handle(message: ExtensionMessage): void
  close(): void
}

/** The AUTH, COUNT and NEG-* handling of one connection. */
export function openConnectionExtensions(context: ExtensionContext): ConnectionExtensions {
  const { limits, send } = context
  const auth = openAuthSession()
  const negentropy = createNegentropyServer({
    limits: context.negentropy,
    maxSubidLength: limits.maxSubidLength,
    query: context.query,
    send,
  })

  function handleAuth(input: unknown): void {
    const id = readEventId(input)
    try {
      const event = verifyAuthEvent(input, {
        challenge: auth.challenge,
        relayUrl: context.relayUrl,
        windowSeconds: context.authWindowSeconds,
      })
      // Several keys may authenticate on one connection (NIP-42); each is added.
      auth.pubkeys.add(event.pubkey)
      send(['OK', event.id, true, ''])
    } catch (error) {
      const reason = `invalid: ${describeError(error)}`
      send(id === null ? ['NOTICE', reason] : ['OK', id, false, reason])
    }
  }

  // NIP-45: the number of stored events matching any filter; a refusal is a CLOSED.
  function handleCount(id: string, rawFilters: unknown[]): void {
    if (!isSubscriptionIdLength(id, limits.maxSubidLength)) {
      return send([
        'CLOSED',
        id,
        `invalid: subscription id must be 1 to ${limits.maxSubidLength} characters`,
      ])
    }
    if (rawFilters.length === 0)
      return send(['CLOSED', id, 'invalid: COUNT needs at least one filter'])
    if (rawFilters.length > limits.maxFilters) {
      return send(['CLOSED', id, `invalid: too many filters (max ${limits.maxFilters})`])
    }

    let filters: ParsedFilter[]
    try {
      filters = parseFilters(rawFilters).map((filter) => ({ ...filter, limit: undefined }))
    } catch (error) {
      return send(['CLOSED', id, `invalid: ${describeError(error)}`])
    }
    const result = context.count(filters)
    if ('tooMany' in result) {
      const reason = `blocked: this COUNT matches more than ${result.tooMany} events`
      return send(['CLOSED', id, `${reason}; narrow its filters`])
    }
    send(['COUNT', id, { count: result.count }])
  }

  function handle(message: ExtensionMessage): void {
    if (message.type === 'AUTH') return handleAuth(message.event)
    if (message.type === 'COUNT') return handleCount(message.subscriptionId, message.filters)
    if (message.type === 'NEG-OPEN') {
      return negentropy.open(message.subscriptionId, message.filter, message.message)
    }
    if (message.type === 'NEG-MSG')
      return negentropy.message(message.subscriptionId, message.message)
    negentropy.close(message.subscriptionId)
  }

  return {
    auth,
    greeting: ['AUTH', auth.challenge],
    handle,
    close: () => negentropy.closeAll(),
  }
}
