// Following upstream relays over real WebSockets: catch-up with NIP-77, the `since` fallback when
// an upstream refuses NEG-OPEN, live events, reconnects after the upstream restarts (waiting
// longer after each refusal, up to a ceiling), and the local checks applied to what is ingested.
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { WebSocketServer } from 'ws'
import type { NostrEvent } from 'nostr-tools/pure'
import { followUpstreams } from '../../relay/upstream.js'
import type { UpstreamFollower } from '../../relay/upstream.js'
import { createNegentropy } from '../../relay/negentropy.js'
import { fromHex, sortItems, toHex } from '../../relay/negentropy-wire.js'
import type { NegentropyItem } from '../../relay/negentropy-wire.js'
import { makeFastSigner } from '../support/fast-sign.js'
import { connectRaw, generateSecretKey, makeTempDir, signEvent, startRelay } from './harness.js'
import type { RunningRelay } from './harness.js'

const author = generateSecretKey()
const now = (): number => Math.floor(Date.now() / 1000)

function releaseLike(app: string, createdAt = now()): NostrEvent {
  return signEvent(author, {
    kind: 30078,
    created_at: createdAt,
    tags: [
      ['d', `archipelago-app:${app}`],
      ['t', 'archipelago-marketplace'],
      ['version', '1.0.0'],
    ],
    content: '{}',
  })
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('followUpstreams', () => {
  const cleanup: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step()
  })

  async function relayPair(upstreamOptions: Parameters<typeof startRelay>[0] = {}) {
    const upstream = await startRelay(upstreamOptions)
    const local = await startRelay()
    cleanup.push(
      () => local.stop(),
      () => upstream.stop(),
    )
    return { upstream, local }
  }

  function follow(
    local: RunningRelay,
    url: string,
    createdAtWindow?: { maxPastSeconds: number; maxFutureSeconds: number },
    frameSizeLimit?: number,
  ): UpstreamFollower {
    const follower = followUpstreams({
      urls: [url],
      relay: local.relay,
      createdAtWindow,
      frameSizeLimit,
      logger: pino({ level: 'silent' }),
      backoff: { initialMs: 50, maxMs: 200 },
      timeoutMs: 3000,
    })
    cleanup.push(() => follower.close())
    return follower
  }

  const ids = (relay: RunningRelay, filter = {}): string[] =>
    relay.relay
      .query([filter])
      .map((event) => event.id)
      .sort()

  it('catches up with NIP-77, taking only the followed kinds', async () => {
    const { upstream, local } = await relayPair()
    const shared = releaseLike('shared', now() - 100)
    await upstream.relay.publish(shared)
    await local.relay.publish(shared)
    const wanted = [releaseLike('one', now() - 50), signEvent(author, { kind: 1985, content: 'x' })]
    for (const event of wanted) await upstream.relay.publish(event)
    await upstream.relay.publish(signEvent(author, { kind: 1, content: 'not followed' }))

    const follower = follow(local, upstream.url)
    await follower.whenSynced()

    expect(follower.status()).toEqual([
      { url: upstream.url, connected: true, catchUp: 'negentropy', stored: 2, syncs: 1 },
    ])
    expect(ids(local)).toEqual([shared, ...wanted].map((event) => event.id).sort())
  })

  it('falls back to since when the upstream refuses NEG-OPEN', async () => {
    const { upstream, local } = await relayPair({ negentropy: { maxSessions: 0 } })
    const event = releaseLike('fallback')
    await upstream.relay.publish(event)

    const follower = follow(local, upstream.url)
    await follower.whenSynced()

    expect(follower.status()[0]?.catchUp).toBe('since')
    expect(ids(local)).toEqual([event.id])
  })

  it('receives live events after the catch-up', async () => {
    const { upstream, local } = await relayPair()
    const follower = follow(local, upstream.url)
    await follower.whenSynced()

    const live = releaseLike('live')
    await upstream.relay.publish(live)
    await waitFor(() => ids(local).includes(live.id), 'the live event')

    // Published now but dated an hour back (a late re-broadcast): it still arrives live.
    const late = releaseLike('late', now() - 3600)
    await upstream.relay.publish(late)
    await waitFor(() => ids(local).includes(late.id), 'the live event dated in the past')
    expect(follower.status()[0]?.syncs).toBe(1)
  })

  it('reconnects after the upstream restarts and catches up what it missed', async () => {
    const temp = makeTempDir()
    cleanup.push(() => temp.remove())
    const databasePath = `${temp.dir}/upstream.sqlite`
    let upstream = await startRelay({ databasePath })
    const port = Number(new URL(upstream.url).port)
    const local = await startRelay()
    cleanup.push(() => local.stop())

    const follower = follow(local, upstream.url)
    await follower.whenSynced()
    await upstream.stop()
    await waitFor(() => follower.status()[0]?.connected === false, 'the disconnect')

    // Stored while the follower cannot reach it (through another server on the same database),
    // with a created_at from before the outage, so only a catch-up can find it.
    const missed = releaseLike('missed', now() - 3600)
    const offline = await startRelay({ databasePath })
    await offline.relay.publish(missed)
    await offline.stop()
    upstream = await startRelay({ databasePath, port })
    cleanup.push(() => upstream.stop())

    await follower.whenSynced(2)
    expect(ids(local)).toEqual([missed.id])
    expect(follower.status()[0]).toMatchObject({ connected: true, catchUp: 'negentropy' })
  })

  it('takes only what the local created_at window admits, by NIP-77 and by since', async () => {
    for (const maxSessions of [4, 0]) {
      // The upstream has no window; the local relay refuses an hour back and 15 minutes ahead.
      const upstream = await startRelay({
        limits: { maxFutureSeconds: 0 },
        negentropy: { maxSessions },
      })
      cleanup.push(() => upstream.stop())
      const inside = releaseLike('inside', now() - 600)
      for (const event of [releaseLike('ahead', now() + 3600), releaseLike('old', now() - 7200)]) {
        expect(await upstream.relay.publish(event)).toEqual({ accepted: true, message: '' })
      }
      await upstream.relay.publish(inside)
      const window = { maxPastSeconds: 3600, maxFutureSeconds: 900 }
      const windowed = await startRelay({ limits: window })
      cleanup.push(() => windowed.stop())

      const follower = follow(windowed, upstream.url, window)
      await follower.whenSynced()
      expect(ids(windowed)).toEqual([inside.id])
      expect(follower.status()[0]).toMatchObject({ stored: 1, syncs: 1 })
    }
  })

  it('does not move its since cursor past an event it refused for being dated ahead', async () => {
    const temp = makeTempDir()
    cleanup.push(() => temp.remove())
    const databasePath = `${temp.dir}/upstream.sqlite`
    const options = {
      databasePath,
      limits: { maxFutureSeconds: 0 },
      negentropy: { maxSessions: 0 },
    }
    let upstream = await startRelay(options)
    const port = Number(new URL(upstream.url).port)
    await upstream.relay.publish(releaseLike('ahead', now() + 3600))
    const first = releaseLike('first', now() - 1000)
    await upstream.relay.publish(first)
    const local = await startRelay()
    cleanup.push(() => local.stop())

    // Without NIP-77 the catch-up after a reconnect asks for events since the newest one taken.
    const follower = follow(local, upstream.url)
    await follower.whenSynced()
    expect(ids(local)).toEqual([first.id])
    await upstream.stop()
    await waitFor(() => follower.status()[0]?.connected === false, 'the disconnect')

    // Published while the follower was away, newer than the first: only since finds it.
    const missed = releaseLike('missed', now() - 600)
    const offline = await startRelay({ ...options, port: undefined })
    await offline.relay.publish(missed)
    await offline.stop()
    upstream = await startRelay({ ...options, port })
    cleanup.push(() => upstream.stop())

    await follower.whenSynced(2)
    expect(follower.status()[0]).toMatchObject({ connected: true, catchUp: 'since' })
    expect(ids(local)).toEqual([first.id, missed.id].sort())
  })

  it(
    'keeps its NEG-MSG frames within its frame size limit, ' + 'so a strict upstream syncs',
    async () => {
      // The upstream closes any message over 10,000 bytes; with 200 events only here and 560 only
      // there, this side's second NEG-MSG lists about 200 ids (over 13,000 bytes of hex) at once.
      // Spread over the same 2,000 seconds, so every range of either side holds some of both.
      const signer = makeFastSigner(author)
      const labels = (count: number, offset: number): NostrEvent[] =>
        Array.from({ length: count }, (_, i) =>
          signer.sign({
            kind: 1985,
            tags: [],
            content: `${offset}-${i}`,
            created_at: now() - 2000 + Math.floor((i * 2000) / count) + offset,
          }),
        )
      const theirs = labels(560, 0)
      const ours = labels(200, 1)
      const upstream = await startRelay({ limits: { maxMessageLength: 10_000 } })
      const local = await startRelay()
      cleanup.push(
        () => local.stop(),
        () => upstream.stop(),
      )
      await Promise.all(theirs.map((event) => upstream.relay.publish(event)))
      await Promise.all(ours.map((event) => local.relay.publish(event)))

      const follower = follow(local, upstream.url, undefined, 4096)
      await follower.whenSynced()
      expect(follower.status()[0]).toMatchObject({ catchUp: 'negentropy', stored: 560 })
      expect(ids(local, { kinds: [1985] })).toHaveLength(760)

      // Without the limit, that second message would not fit the upstream's 10,000 bytes.
      const toItems = (events: NostrEvent[]): NegentropyItem[] =>
        sortItems(
          events.map((event) => ({ timestamp: event.created_at, id: fromHex(event.id, 'id') })),
        )
      const initiator = createNegentropy(toItems(ours), 'initiator')
      const responder = createNegentropy(toItems(theirs), 'responder')
      const answer = responder.reconcile(initiator.initiate()).message!
      expect(toHex(initiator.reconcile(answer).message!).length).toBeGreaterThan(10_000)

      // And a follower without the limit, dropped during NIP-77, catches up with since next time.
      const other = await startRelay()
      cleanup.push(() => other.stop())
      await Promise.all(ours.map((event) => other.relay.publish(event)))
      const unlimited = follow(other, upstream.url, undefined, 0)
      await unlimited.whenSynced()
      expect(unlimited.status()[0]).toMatchObject({ catchUp: 'since', stored: 560 })
    },
  )

  it(
    'pages a since catch-up past the upstream’s max_limit, ' + 'a crowded second included',
    async () => {
      const upstream = await startRelay({
        limits: { maxLimit: 50 },
        negentropy: { maxSessions: 0 },
      })
      const local = await startRelay()
      cleanup.push(
        () => local.stop(),
        () => upstream.stop(),
      )
      const signer = makeFastSigner(author)
      const events = Array.from({ length: 140 }, (_, i) =>
        signer.sign({
          kind: 1985,
          tags: [],
          content: `${i}`,
          // 41 events share one second, across the end of the first page.
          created_at: now() - 1000 + (i < 40 ? 100 : i),
        }),
      )
      await Promise.all(events.map((event) => upstream.relay.publish(event)))

      const follower = follow(local, upstream.url)
      await follower.whenSynced()
      expect(follower.status()[0]).toMatchObject({ catchUp: 'since', stored: 140 })
    },
  )

  it('puts ingested events through the local checks: a protected event is refused', async () => {
    const { upstream, local } = await relayPair()
    // The upstream took it from its authenticated author (NIP-70); nobody authenticated it here.
    const guarded = signEvent(author, { kind: 0, content: '{}', tags: [['-']], created_at: now() })
    const client = await connectRaw(upstream.url)
    const auth = signEvent(author, {
      kind: 22242,
      created_at: now(),
      tags: [
        ['relay', upstream.url],
        ['challenge', await client.challenge],
      ],
    })
    client.send(JSON.stringify(['AUTH', auth]))
    expect((await client.next())[2]).toBe(true)
    client.send(JSON.stringify(['EVENT', guarded]))
    expect(await client.next()).toEqual(['OK', guarded.id, true, ''])
    client.socket.close()
    const plainEvent = releaseLike('plain')
    await upstream.relay.publish(plainEvent)

    const follower = follow(local, upstream.url)
    await follower.whenSynced()
    expect(ids(local)).toEqual([plainEvent.id])
    expect(follower.status()[0]?.stored).toBe(1)
  })

  it('keeps retrying an upstream that is down, reporting it disconnected', async () => {
    const local = await startRelay()
    cleanup.push(() => local.stop())
    const follower = follow(local, 'ws://127.0.0.1:1/')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(follower.status()[0]).toMatchObject({ connected: false, catchUp: null, syncs: 0 })
  })

  it('waits longer after each refused connection, up to the ceiling', async () => {
    // An upstream that answers every handshake with 503: each attempt is seen, and timed, here.
    const attempts: number[] = []
    const refusing = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      verifyClient: (_info, done) => {
        attempts.push(performance.now())
        done(false, 503)
      },
    })
    await new Promise((resolve) => refusing.once('listening', resolve))
    cleanup.push(() => new Promise<void>((resolve) => refusing.close(() => resolve())))
    const { port } = refusing.address() as AddressInfo
    const local = await startRelay()
    cleanup.push(() => local.stop())
    // The wait the follower drew after each failure, from its log.
    const waits: number[] = []
    const logger = pino(
      { level: 'warn' },
      {
        write(line: string) {
          const entry = JSON.parse(line) as { msg: string; retryInMs?: number }
          if (entry.msg === 'upstream failed') waits.push(entry.retryInMs ?? NaN)
        },
      },
    )
    const follower = followUpstreams({
      urls: [`ws://127.0.0.1:${port}/`],
      relay: local.relay,
      logger,
      backoff: { initialMs: 40, maxMs: 320 },
      timeoutMs: 3000,
    })
    cleanup.push(() => follower.close())
    await waitFor(() => attempts.length >= 8, 'eight connection attempts')
    await follower.close()

    // Each wait is drawn between half its ceiling and the ceiling, which doubles up to maxMs.
    const ceilings = [40, 80, 160, 320, 320, 320, 320]
    ceilings.forEach((ceiling, index) => {
      expect(waits[index], `wait ${index}`).toBeGreaterThanOrEqual(ceiling / 2)
      expect(waits[index], `wait ${index}`).toBeLessThanOrEqual(ceiling)
    })
    // And the follower did wait that long between attempts (timers may fire a millisecond early).
    const gaps = attempts.slice(1, 8).map((at, index) => at - (attempts[index] as number))
    gaps.forEach((gap, index) => {
      expect(gap, `gap ${index}`).toBeGreaterThanOrEqual((waits[index] as number) - 2)
      expect(gap, `gap ${index}`).toBeLessThan((waits[index] as number) + 250)
    })
    expect(Math.min(...gaps.slice(3))).toBeGreaterThan(gaps[0] as number)
    expect(follower.status()[0]).toMatchObject({ connected: false, syncs: 0 })
  })
})
