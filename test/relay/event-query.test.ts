// Stored-event queries over a real WebSocket: each filter field, ORed filters, per-filter limits,
// inclusive since/until, ordering (newest first, lowest id first on ties) and the limit clamp.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Filter } from 'nostr-tools/filter'
import type { NostrEvent } from 'nostr-tools/pure'
import type { Relay as RelayClient } from 'nostr-tools/relay'
import {
  connectClient,
  fetchEvents,
  generateSecretKey,
  signEvent,
  signTiedPair,
  startRelay,
} from './harness.js'
import type { RunningRelay } from './harness.js'

describe('event queries', () => {
  const alice = generateSecretKey()
  const bob = generateSecretKey()
  const first = signEvent(alice, { kind: 1, created_at: 100, tags: [['t', 'apps']] })
  const [tiedLow, tiedHigh] = signTiedPair(alice, { kind: 1, created_at: 200, tags: [['t', 'x']] })
  const reaction = signEvent(bob, {
    kind: 7,
    created_at: 200,
    tags: [
      ['p', first.pubkey],
      ['e', first.id],
    ],
  })
  const last = signEvent(bob, {
    kind: 1,
    created_at: 300,
    tags: [
      ['t', 'apps', 'extra'],
      ['t', 'media'],
    ],
  })
  const all = [first, tiedLow, tiedHigh, reaction, last]

  let running: RunningRelay
  let client: RelayClient

  beforeAll(async () => {
    running = await startRelay({ limits: { maxLimit: 4 } })
    client = await connectClient(running.url)
    for (const event of all) await client.publish(event)
  })

  afterAll(async () => {
    client.close()
    await running.stop()
  })

  /** The expected answer: `events` newest first, lowest id first on equal created_at. */
  function ordered(...events: NostrEvent[]): string[] {
    return [...events]
      .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : 1))
      .map((event) => event.id)
  }

  async function ids(filters: Filter[]): Promise<string[]> {
    return (await fetchEvents(client, filters)).map((event) => event.id)
  }

  it.each<[string, () => Filter[], () => NostrEvent[]]>([
    ['ids', () => [{ ids: [first.id, last.id] }], () => [first, last]],
    ['authors', () => [{ authors: [first.pubkey] }], () => [first, tiedLow, tiedHigh]],
    ['kinds', () => [{ kinds: [7] }], () => [reaction]],
    ['a #t tag', () => [{ '#t': ['apps'] }], () => [first, last]],
    ['a second #t tag of one event', () => [{ '#t': ['media'] }], () => [last]],
    ['#p and #e tags', () => [{ '#p': [first.pubkey], '#e': [first.id] }], () => [reaction]],
    ['only the first value of a tag', () => [{ '#t': ['extra'] }], () => []],
    ['since, inclusively', () => [{ since: 200 }], () => [tiedLow, tiedHigh, reaction, last]],
    ['until, inclusively', () => [{ until: 200 }], () => [first, tiedLow, tiedHigh, reaction]],
    ['since and until', () => [{ since: 200, until: 200 }], () => [tiedLow, tiedHigh, reaction]],
    ['fields ANDed', () => [{ kinds: [1], '#t': ['apps'], since: 150 }], () => [last]],
    ['filters ORed', () => [{ kinds: [7] }, { '#t': ['apps'] }], () => [first, reaction, last]],
    ['an empty list', () => [{ ids: [] }], () => []],
  ])('selects by %s', async (_name, filters, expected) => {
    expect(await ids(filters())).toEqual(ordered(...expected()))
  })

  it('orders equal created_at by lowest id first', async () => {
    const found = await ids([{ since: 200, until: 200 }])
    expect(found).toEqual([...found].sort())
    expect(found.indexOf(tiedLow.id)).toBeLessThan(found.indexOf(tiedHigh.id))
  })

  it('keeps the newest events under a limit, per filter', async () => {
    expect(await ids([{ kinds: [1], limit: 2 }])).toEqual([last.id, tiedLow.id])
    expect(
      await ids([
        { kinds: [1], limit: 1 },
        { kinds: [7], limit: 1 },
      ]),
    ).toEqual(ordered(last, reaction))
  })

  it('clamps a missing or larger limit to the advertised max_limit', async () => {
    expect(await ids([{}])).toHaveLength(4)
    expect(await ids([{ limit: 100 }])).toHaveLength(4)
  })

  it('returns every match to a local query, without the clamp', () => {
    expect(running.relay.query([{}]).map((event) => event.id)).toEqual(ordered(...all))
  })

  it('refuses a bad filter in a local query with a ValidationError', () => {
    expect(() => running.relay.query([{ kinds: [-1] }])).toThrow('filters[0].kinds[0]')
  })
})
