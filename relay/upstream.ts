// Following upstream relays: for each configured URL, one connection that subscribes to release
// events and the kinds trust needs, catches up with NIP-77 where the upstream speaks it and with
// `since` where it does not, and reconnects with jittered exponential backoff. Every event goes
// through the relay's own publish path, so it meets the same checks and policy as a local one.
import type { Logger } from 'pino'
import type { Filter } from 'nostr-tools/filter'
import type { NostrEvent } from 'nostr-tools/pure'
import { describeError } from '../src/errors.js'
import { DEFAULT_NEGENTROPY_LIMITS } from './nip77.js'
import { syncWithNegentropy } from './nip77-client.js'
import { connectUpstream, requestUntilEose } from './upstream-socket.js'
import type { UpstreamSocket } from './upstream-socket.js'
import type { PublishResult } from './types.js'

/** Release events (DESIGN.md §4), the kinds trust reads (profiles, follows, reports, labels,
 * mute lists, relay lists, trust assertions) and every NIP-09 deletion: a yank or a withdrawn
 * report must travel as far as what it deletes. A deletion's `k` tag is optional, so none is
 * required; the local relay applies each one only to its author's own events, as for a local
 * one. */
export const FOLLOW_FILTERS: Filter[] = [
  { kinds: [30078], '#t': ['archipelago-marketplace'] },
  { kinds: [0, 3, 1984, 1985, 10000, 10002, 30382] },
  { kinds: [5] },
]

/** Ids asked for in one REQ while fetching what negentropy found missing. */
const FETCH_BATCH = 100

/** The upstreams to follow, the local relay that takes their events, and how to retry. */
export interface FollowOptions {
  urls: string[]
  relay: {
    publish(event: NostrEvent): Promise<PublishResult>
    query(filters: Filter[]): NostrEvent[]
  }
  logger: Logger
  filters?: Filter[]
  /** First reconnect delay and its ceiling, in milliseconds. */
  backoff?: { initialMs: number; maxMs: number }
  /** How long to wait for a connection, a NEG-MSG or an EOSE. */
  timeoutMs?: number
  /** The local relay's created_at window (RelayLimits; 0 is no bound): catch-up asks only for
   * events inside it, so NIP-77 does not find the same refused events missing on every sync. */
  createdAtWindow?: { maxPastSeconds: number; maxFutureSeconds: number }
  /** Largest binary negentropy message sent upstream; default the relay's (60,000 bytes). */
  frameSizeLimit?: number
}

export interface UpstreamStatus {
  url: string
  connected: boolean
  /** How the last catch-up ran: NIP-77, `since` (the upstream refused NIP-77), or not yet. */
  catchUp: 'negentropy' | 'since' | null
  /** Events this node stored from the upstream (not duplicates, not refusals). */
  stored: number
  /** Completed catch-ups since start. */
  syncs: number
}

export interface UpstreamFollower {
  status(): UpstreamStatus[]
  /** Resolves after the next catch-up of every upstream completes (for tests and start-up). */
  whenSynced(minimumSyncs?: number): Promise<void>
  close(): Promise<void>
}

/** Starts following every URL; connections run until `close()`. */
export function followUpstreams(options: FollowOptions): UpstreamFollower {
  const filters = options.filters ?? FOLLOW_FILTERS
  const backoff = options.backoff ?? { initialMs: 1000, maxMs: 60_000 }
  const timeoutMs = options.timeoutMs ?? 10_000
  const frameSizeLimit = options.frameSizeLimit ?? DEFAULT_NEGENTROPY_LIMITS.frameSizeLimit
  const { relay, logger } = options
  const states = options.urls.map((url) => ({
    status: { url, connected: false, catchUp: null, stored: 0, syncs: 0 } as UpstreamStatus,
    /** Newest created_at ingested from this upstream, and that as of the last catch-up. */
    seen: undefined as number | undefined,
    cursor: undefined as number | undefined,
    socket: undefined as UpstreamSocket | undefined,
    /** The upstream dropped the connection during NIP-77: the next catch-up uses `since`. */
    skipNegentropy: false,
  }))
  const syncWaiters = new Set<() => void>()
  const sleepers = new Set<() => void>()
  let closed = false

  async function ingest(state: (typeof states)[number], input: unknown): Promise<void> {
    const event = input as NostrEvent
    const result = await relay.publish(event)
    // Only an accepted event moves the `since` cursor: one dated far ahead, and refused for
    // it, would otherwise make every later catch-up skip what was published until then.
    if (result.accepted && typeof event?.created_at === 'number') {
      state.seen = Math.max(state.seen ?? 0, event.created_at)
    }
    if (result.accepted && result.message === '') state.status.stored++
    else if (!result.accepted) {
      logger.debug({ upstream: state.status.url, reason: result.message }, 'upstream event refused')
    }
  }

  async function catchUp(
    state: (typeof states)[number],
    upstream: UpstreamSocket,
    cursor: number | undefined,
  ): Promise<void> {
    const pending: Promise<void>[] = []
    const take = (input: unknown): void => void pending.push(ingest(state, input))
    let method: UpstreamStatus['catchUp'] = 'negentropy'
    const skipNegentropy = state.skipNegentropy
    state.skipNegentropy = false

    for (const [index, unbounded] of filters.entries()) {
      const filter = { ...unbounded, ...windowBounds() }
      const result = skipNegentropy
        ? { supported: false as const, reason: 'it dropped the connection during NIP-77' }
        : await syncWithNegentropy(
            upstream,
            filter,
            relay.query([filter]),
            timeoutMs,
            frameSizeLimit,
          )
      // Some relays close the connection on a NEG-OPEN they cannot handle; without this, every
      // reconnection would try NIP-77 again and never catch up.
      if (!result.supported && result.dropped === true) state.skipNegentropy = true
      if (result.supported) {
        // What only the upstream holds is fetched by id; what only we hold it can pull itself.
        for (let start = 0; start < result.need.length; start += FETCH_BATCH) {
          const ids = result.need.slice(start, start + FETCH_BATCH)
          await requestUntilEose(upstream, `fetch-${index}-${start}`, [{ ids }], take, timeoutMs)
        }
      } else {
        method = 'since'
        logger.info(
          { upstream: state.status.url, reason: result.reason },
          'upstream without NIP-77',
        )
        const since = cursor === undefined ? {} : { since: Math.max(cursor, filter.since ?? 0) }
        await fetchPages(upstream, `since-${index}`, { ...filter, ...since }, take)
      }
    }
    await Promise.all(pending)
    state.status.catchUp = method
    state.cursor = state.seen
    state.status.syncs++
    for (const waiter of syncWaiters) waiter()
  }

  // An upstream answers a REQ with at most its own max_limit events, newest first: ask again
  // `until` the oldest second seen (inclusive, so the rest of that second comes too), and past it
  // once a page brings nothing new (a second with more events than a page loses the excess).
  async function fetchPages(
    upstream: UpstreamSocket,
    id: string,
    filter: Filter,
    take: (input: unknown) => void,
  ): Promise<void> {
    const seen = new Set<string>()
    let until = filter.until
    for (let page = 0; ; page++) {
      let fresh = 0
      let oldest = Infinity
      const onEvent = (input: unknown): void => {
        const event = input as Partial<NostrEvent> | null
        if (typeof event?.id !== 'string' || typeof event.created_at !== 'number') return
        oldest = Math.min(oldest, event.created_at)
        if (seen.has(event.id)) return
        seen.add(event.id)
        fresh++
        take(input)
      }
      const bounded = until === undefined ? filter : { ...filter, until }
      await requestUntilEose(upstream, `${id}-${page}`, [bounded], onEvent, timeoutMs)
      if (oldest === Infinity) return
      until = fresh > 0 ? oldest : oldest - 1
      if (until < (filter.since ?? 0)) return
    }
  }

  // `since` and `until` for the window as of now; a filter of ours sets neither.
  function windowBounds(): Pick<Filter, 'since' | 'until'> {
    const window = options.createdAtWindow
    if (window === undefined) return {}
    const now = Math.floor(Date.now() / 1000)
    return {
      ...(window.maxPastSeconds > 0 ? { since: now - window.maxPastSeconds } : {}),
      ...(window.maxFutureSeconds > 0 ? { until: now + window.maxFutureSeconds } : {}),
    }
  }

  async function session(state: (typeof states)[number]): Promise<void> {
    const upstream = await connectUpstream(state.status.url, timeoutMs)
    state.socket = upstream
    state.status.connected = true
    logger.info({ upstream: state.status.url }, 'upstream connected')
    try {
      // Live first, then catch up: no gap between the two. The live subscription asks for no
      // stored events (`limit: 0`) rather than for those since a moment ago, so an event dated
      // in the past but published now still arrives live. The `since` fallback starts from the
      // last completed catch-up, whatever arrives live.
      const cursor = state.cursor
      upstream.route('live', (message) => {
        if (message[0] === 'EVENT') void ingest(state, message[2])
      })
      upstream.send(['REQ', 'live', ...filters.map((filter) => ({ ...filter, limit: 0 }))])
      await catchUp(state, upstream, cursor)
      await upstream.closed
      state.cursor = state.seen
    } finally {
      upstream.close()
      state.socket = undefined
      state.status.connected = false
    }
  }

  async function follow(state: (typeof states)[number]): Promise<void> {
    let attempt = 0
    while (!closed) {
      const started = Date.now()
      let failure: { error: unknown } | undefined
      try {
        await session(state)
      } catch (error) {
        failure = { error }
      }
      if (closed) return

      // A connection that lasted a while starts the backoff over. The wait is drawn between half
      // the ceiling and all of it, so nodes that lost one upstream together do not return as one.
      if (Date.now() - started > backoff.maxMs) attempt = 0
      const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt)
      attempt++
      const retryInMs = Math.round(ceiling / 2 + Math.random() * (ceiling / 2))
      if (failure !== undefined) {
        const err = describeError(failure.error)
        logger.warn({ upstream: state.status.url, err, retryInMs }, 'upstream failed')
      }
      await sleep(retryInMs)
    }
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        sleepers.delete(wake)
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      sleepers.add(wake)
    })
  }

  const running = states.map((state) => follow(state))

  return {
    status: () => states.map((state) => ({ ...state.status })),
    whenSynced(minimumSyncs = 1) {
      return new Promise((resolve) => {
        const check = (): void => {
          if (states.every((state) => state.status.syncs >= minimumSyncs)) {
            syncWaiters.delete(check)
            resolve()
          }
        }
        syncWaiters.add(check)
        check()
      })
    },
    async close() {
      closed = true
      for (const wake of [...sleepers]) wake()
      for (const state of states) state.socket?.close()
      await Promise.all(running)
    },
  }
}
