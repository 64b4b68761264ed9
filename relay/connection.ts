// One client WebSocket: reads NIP-01 messages in arrival order, answers each, and keeps the
// connection's subscriptions for live delivery. Nothing a client sends can throw out of here.
import type { IncomingMessage } from 'node:http'
import type { BlockList } from 'node:net'
import type { Logger } from 'pino'
import { WebSocket } from 'ws'
import type { RawData } from 'ws'
import type { NostrEvent } from 'nostr-tools/pure'
import { describeError } from '../src/errors.js'
import { readClientAddress } from './client-address.js'
import { openConnectionExtensions } from './connection-extensions.js'
import { readEventId } from './event-shape.js'
import { matchFilters, parseFilters } from './filters.js'
import type { ParsedFilter } from './filters.js'
import { isSubscriptionIdLength } from './limits.js'
import type { RelayLimits } from './limits.js'
import { parseClientMessage } from './messages.js'
import type { ClientMessage } from './messages.js'
import type { CountResult } from './event-count.js'
import type { NegentropyLimits } from './nip77.js'
import type { PublishOrigin } from './nip70.js'
import type { TokenBuckets } from './rate-limit.js'
import type { PublishResult } from './types.js'

/** EVENTs of one connection being checked and committed at once. */
const MAX_PUBLISHING = 256

/** What a connection needs from its relay. */
export interface ConnectionContext {
  limits: RelayLimits
  /** Proxies whose X-Forwarded-For names the client (setting trusted_proxies); default none. */
  trustedProxies?: BlockList
  logger: Logger
  publish(input: unknown, origin?: PublishOrigin): Promise<PublishResult>
  query(filters: ParsedFilter[]): NostrEvent[]
  /** Messages per client IP, in token buckets shared by all connections. */
  rateLimits: { ip: TokenBuckets }
  /** AUTH (NIP-42), COUNT (NIP-45) and NEG-* (NIP-77): relay/connection-extensions.ts. */
  extensions: {
    relayUrl?: string
    authWindowSeconds: number
    negentropy: NegentropyLimits
    count(filters: ParsedFilter[]): CountResult
  }
}

export interface Connection {
  /** Sends `event` to every subscription of this connection that it matches. */
  deliver(event: NostrEvent): void
}

/** Starts serving `socket`; the connection ends when the socket closes. */
export function openConnection(
  socket: WebSocket,
  request: IncomingMessage,
  context: ConnectionContext,
): Connection {
  const { limits, logger } = context
  const subscriptions = new Map<string, ParsedFilter[]>()
  const remote = readClientAddress(request, context.trustedProxies)
  let queue = Promise.resolve()
  let lastEvent = Promise.resolve()
  let publishing = 0
  let corked = false
  const extensions = openConnectionExtensions({
    ...context.extensions,
    relayUrl: context.extensions.relayUrl ?? `ws://${request.headers.host ?? 'localhost'}`,
    limits,
    query: context.query,
    send,
  })

  logger.debug({ remote }, 'relay connection opened')
  socket.on('close', (code: number) => {
    subscriptions.clear()
    extensions.close()
    logger.debug({ remote, code }, 'relay connection closed')
  })
  socket.on('error', (error: Error) => logger.debug({ remote, err: error }, 'relay socket error'))

  // Messages are handled one at a time so answers keep the order of the requests. Every frame is
  // charged to the address, a malformed or binary one too: refusing one costs the relay as well.
  socket.on('message', (data: RawData, isBinary: boolean) => {
    const limited = !context.rateLimits.ip.take(remote)
    if (isBinary) return send(['NOTICE', 'invalid: binary frames are not accepted'])
    const text = toText(data)
    queue = queue
      .then(() => handleText(text, limited))
      .catch((error: unknown) => {
        logger.error({ remote, err: error }, 'relay failed to handle a message')
        send(['NOTICE', 'error: the relay could not handle that message'])
      })
  })

  async function handleText(text: string, limited: boolean): Promise<void> {
    if (socket.readyState !== WebSocket.OPEN) return
    if (limited) return refuseMessage(text, 'rate-limited: this address sends too many messages')
    let message: ClientMessage
    try {
      message = parseClientMessage(text)
    } catch (error) {
      return refuseMessage(text, `invalid: ${describeError(error)}`)
    }

    if (message.type === 'EVENT') return startEvent(message.event)
    // Anything else waits for the EVENTs before it: a REQ sees what this connection published.
    await lastEvent
    if (message.type === 'REQ') return handleReq(message.subscriptionId, message.filters)
    if (message.type === 'CLOSE') return void subscriptions.delete(message.subscriptionId)
    extensions.handle(message)
  }

  // An EVENT's checks and commit start at once, so that many of them share a commit (group
  // commit); its OK still waits for the OKs before it. Past MAX_PUBLISHING the socket stops
  // being read until half of them are answered.
  function startEvent(input: unknown): void {
    publishing += 1
    if (publishing >= MAX_PUBLISHING) socket.pause()
    lastEvent = handleEvent(input, lastEvent)
      .catch((error: unknown) => {
        logger.error({ remote, err: error }, 'relay failed to handle an event')
        send(['NOTICE', 'error: the relay could not handle that event'])
      })
      .finally(() => {
        publishing -= 1
        if (socket.isPaused && publishing <= MAX_PUBLISHING / 2) socket.resume()
      })
  }

  async function handleEvent(input: unknown, before: Promise<void>): Promise<void> {
    const id = readEventId(input) ?? ''
    const result = await context.publish(input, { authenticated: extensions.auth.pubkeys })
    await before
    send(['OK', id, result.accepted, result.message])
  }

  // Every EVENT gets an OK, every REQ or COUNT a CLOSED (NIP-01, NIP-45) and every NEG-OPEN a
  // NEG-ERR (NIP-77), even when the envelope itself is broken; the event id is '' when there is
  // none to name. Anything else, or a subscription id that is not a string, gets a NOTICE.
  async function refuseMessage(text: string, reason: string): Promise<void> {
    await lastEvent
    const envelope = readEnvelope(text)
    const [type, id] = envelope ?? []
    if (type === 'EVENT') return send(['OK', readEventId(id) ?? '', false, reason])
    if (typeof id === 'string') {
      if (type === 'REQ') return closeSubscription(id, reason)
      if (type === 'COUNT') return send(['CLOSED', id, reason])
      if (type === 'NEG-OPEN') return send(['NEG-ERR', id, reason])
    }
    send(['NOTICE', reason])
  }

  function handleReq(id: string, rawFilters: unknown[]): void {
    const refusal = checkReq(id, rawFilters)
    if (refusal !== null) return closeSubscription(id, refusal)

    let filters: ParsedFilter[]
    try {
      filters = parseFilters(rawFilters, { maxLimit: limits.maxLimit })
    } catch (error) {
      return closeSubscription(id, `invalid: ${describeError(error)}`)
    }

    let events: NostrEvent[]
    try {
      events = context.query(filters)
    } catch (error) {
      logger.error({ remote, err: error }, 'relay query failed')
      return closeSubscription(id, 'error: the query failed')
    }

    // Stored events, then EOSE; the subscription stays open for live events (NIP-01).
    subscriptions.set(id, filters)
    for (const event of events) send(['EVENT', id, event])
    send(['EOSE', id])
  }

  function checkReq(id: string, rawFilters: unknown[]): string | null {
    if (!isSubscriptionIdLength(id, limits.maxSubidLength)) {
      return `invalid: subscription id must be 1 to ${limits.maxSubidLength} characters`
    }
    if (rawFilters.length === 0) return 'invalid: REQ needs at least one filter'
    if (rawFilters.length > limits.maxFilters) {
      return `invalid: too many filters (max ${limits.maxFilters})`
    }
    if (!subscriptions.has(id) && subscriptions.size >= limits.maxSubscriptions) {
      return `blocked: too many open subscriptions (max ${limits.maxSubscriptions})`
    }
    return null
  }

  function closeSubscription(id: string, reason: string): void {
    subscriptions.delete(id)
    send(['CLOSED', id, reason])
  }

  function send(message: unknown[]): void {
    if (socket.readyState !== WebSocket.OPEN) return
    // A reader that lets this much pile up would hold memory without bound: drop it.
    if (socket.bufferedAmount > limits.maxBufferedBytes) {
      logger.warn({ remote }, 'relay dropped a connection that stopped reading')
      socket.terminate()
      return
    }
    corkUntilNextTurn()
    socket.send(JSON.stringify(message))
  }

  // What one turn of the event loop sends leaves in one write: a commit releases many OKs at once.
  // The upgrade's TCP socket is the one under `socket`.
  function corkUntilNextTurn(): void {
    if (corked) return
    corked = true
    request.socket.cork()
    setImmediate(() => {
      corked = false
      request.socket.uncork()
    })
  }

  function deliver(event: NostrEvent): void {
    for (const [id, filters] of subscriptions) {
      if (matchFilters(filters, event)) send(['EVENT', id, event])
    }
  }

  // NIP-42: the challenge goes out as soon as the connection opens.
  send(extensions.greeting)
  return { deliver }
}

function readEnvelope(text: string): unknown[] | null {
  try {
    const value: unknown = JSON.parse(text)
    return Array.isArray(value) ? value : null
  } catch {
    return null
  }
}

function toText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  return Buffer.from(data).toString('utf8')
}
