// The store's query plans: every filter shape the relay accepts reads an index in NIP-01's order
// (no temporary B-tree over the match set), and the k-way merge and the SQL COUNT agree with a
// plain reference (matchFilter, sort, limit) over a store with ties, tags and expired events.
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NostrEvent } from 'nostr-tools/pure'
import { buildMatchQuery, planFilter } from '../../relay/event-query.js'
import { compareNewestFirst, openEventStore } from '../../relay/event-store.js'
import type { EventStore } from '../../relay/event-store.js'
import { matchFilter, parseFilters } from '../../relay/filters.js'
import type { ParsedFilter } from '../../relay/filters.js'
import { makeTempDir } from './harness.js'

const hex = (bytes: number): string => randomBytes(bytes).toString('hex')
const AUTHORS = [hex(32), hex(32), hex(32)]
const KINDS = [1, 7, 1985, 4]
const NOW = Math.floor(Date.now() / 1000)
const many = (n: number, make: (index: number) => string): string[] =>
  Array.from({ length: n }, (_, index) => make(index))

// A stored event per index: a few created_at values (ties), three authors, tags t and l, and
// every 17th one expired by now (stored while it was still live).
function makeEvent(index: number): NostrEvent {
  const tags = [
    ['t', `t${index % 3}`],
    ['l', `l${index % 5}`],
  ]
  if (index % 4 === 0) tags.push(['t', `t${(index + 1) % 3}`])
  if (index % 17 === 0) tags.push(['expiration', String(NOW - 10)])
  return {
    id: hex(32),
    pubkey: AUTHORS[index % 3] as string,
    kind: KINDS[index % 4] as number,
    created_at: 1_700_000_000 + (index % 40),
    tags,
    content: `event ${index}`,
    sig: hex(64),
  }
}

const SHAPES: Array<Record<string, unknown>> = [
  {},
  { limit: 7 },
  { kinds: [1985], limit: 1 },
  { kinds: [1, 7], limit: 9 },
  { kinds: [1, 7, 4], since: 1_700_000_010, until: 1_700_000_030, limit: 25 },
  { authors: [AUTHORS[0]], limit: 5 },
  { authors: AUTHORS, kinds: [1, 1985], limit: 12 },
  { authors: many(300, () => hex(32)).concat(AUTHORS), kinds: [1], limit: 6 },
  { '#t': ['t1'], limit: 8 },
  { '#t': ['t0', 't1'], limit: 30 },
  { '#t': ['t2'], kinds: [7], limit: 4 },
  { '#t': ['t0', 't2'], kinds: KINDS, limit: 11 },
  { '#l': many(100, (index) => `l${index}`), kinds: [1, 7, 4], limit: 13 },
  { '#t': ['t1'], '#l': ['l2', 'l3'], limit: 10 },
  { '#t': ['t0'], authors: [AUTHORS[1]], limit: 3 },
  { '#l': ['l4', 'none'], authors: AUTHORS, kinds: [1, 7], limit: 5 },
  { '#t': ['t1'], since: 1_700_000_012, until: 1_700_000_020, limit: 6 },
  { until: 1_700_000_020, limit: 15 },
  { since: 1_700_000_035 },
  { '#t': ['t1'] },
]

describe('event store query plans', () => {
  const temp = makeTempDir()
  const path = join(temp.dir, 'relay.sqlite')
  const events = Array.from({ length: 600 }, (_, index) => makeEvent(index))
  let store: EventStore
  let live: NostrEvent[]

  beforeAll(() => {
    store = openEventStore(path)
    for (const outcome of store.saveBatch(events, NOW - 100)) expect(outcome).toBe('stored')
    live = events.filter((event) => !event.tags.some((tag) => tag[0] === 'expiration'))
  })

  afterAll(() => {
    store.close()
    temp.remove()
  })

  function parse(filter: Record<string, unknown>): ParsedFilter {
    return parseFilters([filter])[0] as ParsedFilter
  }

  function expected(filters: ParsedFilter[]): string[] {
    const found = new Set<NostrEvent>()
    for (const filter of filters) {
      const matches = live.filter((event) => matchFilter(filter, event)).sort(compareNewestFirst)
      for (const event of matches.slice(0, filter.limit ?? Infinity)) found.add(event)
    }
    return [...found].sort(compareNewestFirst).map((event) => event.id)
  }

  it.each(SHAPES.map((shape) => [JSON.stringify(shape).slice(0, 80), shape]))(
    'reads %s from an index in order, with no sort of its matches',
    (_name, shape) => {
      const db = new Database(path, { readonly: true })
      const plan = planFilter(parse(shape), NOW)
      const cursor = [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, '', 10]
      for (const source of plan.sources) {
        const args = source.ordered ? [...source.params, ...cursor] : source.params
        const steps = db.prepare(`EXPLAIN QUERY PLAN ${source.sql}`).all(...args) as Array<{
          detail: string
        }>
        const text = steps.map((step) => step.detail).join('\n')
        expect(text).not.toMatch(/TEMP B-TREE/)
        expect(text).toMatch(/USING (COVERING )?INDEX|PRIMARY KEY/)
      }
      db.close()
    },
  )

  it('drives by a tag with few rows rather than by authors, its range bounded by since', () => {
    const db = new Database(path, { readonly: true })
    const filter = parse({ authors: AUTHORS, '#l': ['none'], since: 1_700_000_030, limit: 5 })
    const plan = planFilter(filter, NOW, () => 0)
    expect(plan.sources).toHaveLength(1)
    const source = plan.sources[0] as { sql: string; params: unknown[] }
    const cursor = [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, '', 5]
    const steps = db.prepare(`EXPLAIN QUERY PLAN ${source.sql}`).all(...source.params, ...cursor)
    db.close()
    const text = (steps as Array<{ detail: string }>).map((step) => step.detail).join('\n')
    expect(text).toMatch(/tags_by_time \(name=\? AND value=\? AND event_created_at>\? AND/)
    expect(text).not.toMatch(/TEMP B-TREE/)
    expect(store.query([filter])).toEqual([])
  })

  it('reads an ids filter by its ids, unordered, and sorts only those', () => {
    const ids = events.slice(0, 5).map((event) => event.id)
    const plan = planFilter(parse({ ids, limit: 2 }), NOW)
    expect(plan.sources.map((source) => source.ordered)).toEqual([false])
    expect(store.query([parse({ ids, limit: 2 })]).map((event) => event.id)).toEqual(
      expected([parse({ ids, limit: 2 })]),
    )
  })

  it.each(SHAPES.map((shape) => [JSON.stringify(shape).slice(0, 80), shape]))(
    'returns what the reference returns for %s',
    (_name, shape) => {
      const filters = [parse(shape)]
      expect(store.query(filters).map((event) => event.id)).toEqual(expected(filters))
    },
  )

  it('returns the union of ORed filters, each under its own limit', () => {
    const filters = [parse({ kinds: [1], limit: 3 }), parse({ '#t': ['t1'], limit: 4 }), parse({})]
    expect(store.query(filters.slice(0, 2)).map((event) => event.id)).toEqual(
      expected(filters.slice(0, 2)),
    )
    expect(store.query(filters).map((event) => event.id)).toEqual(expected(filters))
  })

  it.each([
    [[{}]],
    [[{ kinds: [1985] }]],
    [[{ '#t': ['t0', 't1'] }]],
    [[{ '#t': ['t1'], '#l': ['l2'] }, { kinds: [7] }, { authors: [AUTHORS[2]] }]],
    [[{ '#t': ['t0'] }, { '#t': ['t1'] }]],
    [[{ kinds: [1], since: 1_700_000_030 }, { kinds: [1] }, {}]],
    [[{ ids: events.slice(0, 40).map((event) => event.id) }, { kinds: [4] }]],
    [[{ kinds: [] }]],
  ])('counts %j as the reference does, union not sum, expired left out', (filters) => {
    const parsed = filters.map(parse)
    expect(store.count(parsed)).toEqual({ count: expected(parsed).length })
  })

  it('counts from indexes: no count statement reads an event row', () => {
    const db = new Database(path, { readonly: true })
    for (const shape of SHAPES) {
      const query = buildMatchQuery(parse(shape), NOW)
      if (query === null) continue
      const steps = db.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...query.params) as Array<{
        detail: string
      }>
      for (const { detail } of steps) {
        if (/\bevents\b/.test(detail)) expect(detail).toMatch(/COVERING INDEX/)
      }
    }
    db.close()
  })

  it('refuses a count past its budget, per filter and for a union', () => {
    const all = [parse({})]
    expect(store.count(all, { events: 100, union: 1000 })).toEqual({ tooMany: 100 })
    const two = [parse({ kinds: [1] }), parse({ kinds: [7] })]
    expect(store.count(two, { events: 1000, union: 200 })).toEqual({ tooMany: 200 })
    expect(store.count(two, { events: 1000, union: 1000 })).toEqual({
      count: expected(two).length,
    })
  })
})
