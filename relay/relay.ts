// createRelay: the event path shared by WebSocket clients and local publishes (shape, integrity,
// storage, then listeners and live subscriptions), and the WebSocket server the node hands
// upgrades to. The node owns the HTTP server; this owns the sockets and the database.
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { pino } from 'pino'
import { WebSocketServer } from 'ws'
import type { WebSocket } from 'ws'
import type { NostrEvent } from 'nostr-tools/pure'
import type { Filter } from 'nostr-tools/filter'
import { VerificationError, describeError } from '../src/errors.js'
import { openConnection } from './connection.js'
import type { Connection } from './connection.js'
import { openEventStore } from './event-store.js'
import type { SaveOutcome } from './event-store.js'
import { serializeEvent } from './event-json.js'
import { parseEventShape } from './event-shape.js'
import { parseFilters } from './filters.js'
import type { ParsedFilter } from './filters.js'
import { startHeartbeat } from './heartbeat.js'
import { classifyKind } from './kinds.js'
import { DEFAULT_LIMITS } from './limits.js'
import type { RelayLimits } from './limits.js'
import { buildInfoDocument, isInfoRequest } from './nip11.js'
import { readExpiration } from './nip40.js'
import {
  judgeEvent,
  rejectCreatedAtOutside,
  rejectLongContent,
  rejectManyTags,
} from './policies.js'
import type { EventPolicy } from './policies.js'
import { createTokenBuckets } from './rate-limit.js'
import { DEFAULT_AUTH_WINDOW_SECONDS } from './nip42.js'
import { createSearchIndex, searchAwareCount, searchAwareQuery } from './nip50.js'
import { checkWriteAuth } from './nip70.js'
import type { PublishOrigin } from './nip70.js'
import { readNegentropyLimits } from './nip77.js'
import type { PublishResult, Relay, RelayOptions } from './types.js'
import { startEventVerifier } from './verify.js'
import { buildAddressList } from '../src/address-range.js'
import { findStoreThread, startInlineWriter, startStoreWriter } from './store-writer.js'

const CLOSE_GRACE_MS = 1000
// Longest run of onStored listeners in one turn of the event loop.
const NOTIFY_SLICE_MS = 5
// While writes wait for their commit, the pause after each such run: listeners then take at most
// a sixth of the main thread, which the OKs of a burst need (its commits run on another thread).
const NOTIFY_PAUSE_MS = 25

const AUTH_KIND = 22242

const ANSWERS: Record<Exclude<SaveOutcome, object>, PublishResult> = {
  stored: { accepted: true, message: '' },
  duplicate: { accepted: true, message: 'duplicate: already have this event' },
  outdated: { accepted: false, message: 'duplicate: have a newer version of this event' },
  deleted: { accepted: false, message: 'blocked: this event was deleted by its author' },
}

function answer(outcome: SaveOutcome): PublishResult {
  return typeof outcome === 'object'
    ? { accepted: false, message: outcome.refused }
    : ANSWERS[outcome]
}

/** The policies every relay applies from its limits, before the operator's own (kinds...). */
function limitPolicies(limits: RelayLimits): EventPolicy[] {
  return [
    rejectManyTags(limits.maxEventTags),
    rejectLongContent(limits.maxContentLength),
    rejectCreatedAtOutside(limits),
  ]
}

/** Opens the database at `options.databasePath` and returns a relay ready for upgrades. */
export function createRelay(options: RelayOptions): Relay {
  const limits = { ...DEFAULT_LIMITS, ...options.limits }
  // Checked before anything is opened, so a bad limit leaves no database or worker behind.
  const negentropy = readNegentropyLimits(options.negentropy)
  const policies = [...limitPolicies(limits), ...(options.policies ?? [])]
  const logger = options.logger ?? pino({ name: 'relay' }, pino.destination(2))
  const store = openEventStore(options.databasePath)
  const verifier = startEventVerifier({ workers: options.verifyWorkers })
  // Commits on a thread of their own (relay/store-writer.ts), except from the TypeScript sources.
  const storeThread = options.storeThread === false ? null : findStoreThread()
  const writer = storeThread
    ? startStoreWriter(options.databasePath, storeThread, { logger })
    : startInlineWriter(store)
  const server = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageLength })
  const heartbeat = startHeartbeat(server, limits.pingIntervalMs)
  const connections = new Set<Connection>()
  const listeners = new Set<(event: NostrEvent) => void>()
  // Each as its JSON: a burst's backlog is then a string per event for the GC, not a tree.
  const storedQueue: string[] = []
  // Writes submitted and not yet committed.
  let writing = 0
  let closed = false
  const rateLimits = {
    ip: createTokenBuckets({ perSecond: limits.ipMessagesPerSecond, burst: limits.ipMessageBurst }),
    key: createTokenBuckets({ perSecond: limits.keyEventsPerSecond, burst: limits.keyEventBurst }),
  }

  // NIP-50: filters with `search` select release events from an index that follows every write.
  const search = createSearchIndex(() => store.query(parseFilters([{ kinds: [30078] }])))
  const query = searchAwareQuery(store.query, search)
  listeners.add((event) => search.add(event))

  const writeAuth = { requireAuthForWrites: options.requireAuthForWrites ?? false }
  // NIP-11 `restricted_writes`: the operator's policies or NIP-42 refuse some well-formed events
  // (the limits and the rules of the NIPs themselves are ordinary validation).
  const restrictedWrites = (options.policies ?? []).length > 0 || writeAuth.requireAuthForWrites
  const extensions = {
    count: (filters: ParsedFilter[]) => store.count(searchAwareCount(filters, search)),
    relayUrl: options.url,
    authWindowSeconds: DEFAULT_AUTH_WINDOW_SECONDS,
    negentropy,
  }
  const context = {
    limits,
    trustedProxies: buildAddressList(options.trustedProxies ?? []),
    logger,
    publish: publishInput,
    query,
    extensions,
    rateLimits,
  }

  async function publishInput(input: unknown, origin?: PublishOrigin): Promise<PublishResult> {
    if (closed) return { accepted: false, message: 'error: the relay is closed' }

    // Form, then the write policy (cheap), then the signature; the first refusal answers.
    const now = Math.floor(Date.now() / 1000)
    let event: NostrEvent
    let expiresAt: number | null
    try {
      event = parseEventShape(input)
      const refusal = judgeEvent(policies, event, now)
      if (refusal !== null) return { accepted: false, message: refusal }
      expiresAt = readExpiration(event)
    } catch (error) {
      return { accepted: false, message: `invalid: ${describeError(error)}` }
    }
    const integrity = await checkIntegrity(event)
    if (integrity !== null) return integrity
    // Charged only once the signature holds, so nobody can spend another author's tokens.
    if (origin !== undefined && !rateLimits.key.take(event.pubkey)) {
      return { accepted: false, message: 'rate-limited: this author publishes too fast' }
    }

    // NIP-40: an event that has already expired is never stored or sent on.
    if (expiresAt !== null && expiresAt <= now) {
      return { accepted: false, message: 'invalid: this event has expired' }
    }
    // NIP-42: an auth event answers a challenge in an AUTH message and is never stored.
    if (event.kind === AUTH_KIND) {
      return { accepted: false, message: 'invalid: kind 22242 is sent in an AUTH message' }
    }

    // NIP-42 and NIP-70: who may write this event over this connection.
    const authRefusal = checkWriteAuth(event, origin, writeAuth)
    if (authRefusal !== null) return { accepted: false, message: authRefusal }

    // Ephemeral events go to live subscribers only (NIP-01).
    if (classifyKind(event.kind) === 'ephemeral') {
      broadcast(event)
      return ANSWERS.stored
    }

    let outcome: SaveOutcome
    writing += 1
    try {
      outcome = await writer.save(event)
    } catch (error) {
      logger.error({ eventId: event.id, err: error }, 'relay could not store an event')
      return { accepted: false, message: 'error: could not store the event' }
    } finally {
      writing -= 1
    }

    if (outcome === 'stored') {
      notifyStored(event)
      broadcast(event)
    }
    return answer(outcome)
  }

  // The id and the signature, on the verifier's worker threads (relay/verify.ts).
  async function checkIntegrity(event: NostrEvent): Promise<PublishResult | null> {
    try {
      await verifier.verify(event)
    } catch (error) {
      if (error instanceof VerificationError) {
        return { accepted: false, message: `invalid: ${describeError(error)}` }
      }
      logger.error({ eventId: event.id, err: error }, 'relay could not verify an event')
      return { accepted: false, message: 'error: could not verify the event' }
    }
    return closed ? { accepted: false, message: 'error: the relay is closed' } : null
  }

  // Listeners (the registry's indexer) run after the OK, a slice per turn of the event loop, and
  // one per NOTIFY_PAUSE_MS while writes are pending, so a burst of writes is acknowledged first
  // and indexed as time allows.
  function notifyStored(event: NostrEvent): void {
    if (storedQueue.push(serializeEvent(event)) === 1) setImmediate(drainStored)
  }

  function drainStored(): void {
    if (closed) return void storedQueue.splice(0)
    const deadline = performance.now() + NOTIFY_SLICE_MS
    let next = 0
    while (next < storedQueue.length && performance.now() < deadline) {
      callListeners(JSON.parse(storedQueue[next++] as string) as NostrEvent)
    }
    storedQueue.splice(0, next)
    if (storedQueue.length === 0) return
    if (writing > 0) setTimeout(drainStored, NOTIFY_PAUSE_MS)
    else setImmediate(drainStored)
  }

  function callListeners(event: NostrEvent): void {
    for (const listener of listeners) {
      try {
        listener(event)
      } catch (error) {
        logger.error({ eventId: event.id, err: error }, 'relay onStored listener failed')
      }
    }
  }

  function broadcast(event: NostrEvent): void {
    for (const connection of connections) connection.deliver(event)
  }

  function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (closed) {
      socket.destroy()
      return
    }
    server.handleUpgrade(request, socket, head, (ws) => {
      heartbeat.watch(ws)
      const connection = openConnection(ws, request, context)
      connections.add(connection)
      ws.once('close', () => connections.delete(connection))
    })
  }

  async function close(): Promise<void> {
    if (closed) return
    closed = true
    heartbeat.stop()
    await Promise.all([...server.clients].map(closeSocket))
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await writer.close()
    await verifier.close()
    search.close()
    store.close()
  }

  return {
    handleUpgrade,
    isInfoRequest,
    infoDocument: () => buildInfoDocument(options.info, limits, restrictedWrites),
    publish: (event) => publishInput(event),
    query: (filters: Filter[]) => query(parseFilters(filters)),
    onStored(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close,
  }
}

/** Closes with 1001 (going away), and terminates a peer that does not finish the handshake. */
function closeSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === socket.CLOSED) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.terminate(), CLOSE_GRACE_MS)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
    socket.close(1001, 'relay shutting down')
  })
}
