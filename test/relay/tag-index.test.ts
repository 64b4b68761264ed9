import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { generateSecretKey } from 'nostr-tools/pure'
import type { NostrEvent } from 'nostr-tools/pure'
import { planFilter } from '../../relay/event-query.js'
import { compareNewestFirst, openEventStore } from '../../relay/event-store.js'
import { parseFilters } from '../../relay/filters.js'
import type { ParsedFilter } from '../../relay/filters.js'
import { makeFastSigner } from '../support/fast-sign.js'
import { makeTempDir } from './harness.js'

const CATALOG = { kinds: [30078], '#t': ['archipelago-marketplace'], limit: 100 }
const signer = makeFastSigner(generateSecretKey())

let apps = 0
function release(createdAt: number, tags: string[][] = [], kind = 30078): NostrEvent {
  const d = ['d', `archipelago-app:app-${(apps += 1)}`]
  return signer.sign({ kind, created_at: createdAt, tags: [d, ...tags], content: 'release' })
}

const temps: Array<() => void> = []
afterEach(() => temps.splice(0).forEach((remove) => remove()))

function tempDatabase(): string {
  const temp = makeTempDir()
  temps.push(temp.remove)
  return join(temp.dir, 'relay.sqlite')
}

/** EXPLAIN QUERY PLAN of the store's first source for `filter`, one detail line per step. */
function planOf(path: string, filter: Record<string, unknown>): string[] {
  const [parsed] = parseFilters([filter])
  const plan = planFilter(parsed as ParsedFilter, Math.floor(Date.now() / 1000))
  const { sql, params } = plan.sources[0] as { sql: string; params: unknown[] }
  const db = new Database(path, { readonly: true })
  const cursor = [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, '', 10]
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params, ...cursor) as Array<{
    detail: string
  }>
  db.close()
  return rows.map((row) => row.detail)
}

describe('the tag index', () => {
  it('answers the catalog query from the index, with no sort', () => {
    const path = tempDatabase()
    const store = openEventStore(path)
    store.save(release(1_700_000_000, [['t', 'archipelago-marketplace']]))
    store.close()

    const plan = planOf(path, CATALOG)
    expect(plan.join('\n')).toMatch(/USING INDEX tags_by_kind_time \(name=\? AND value=\? AND/)
    expect(plan.join('\n')).not.toMatch(/TEMP B-TREE/)
  })

  it('returns the catalog newest first, lowest id first on equal created_at', () => {
    const store = openEventStore(tempDatabase())
    const marketplace = ['t', 'archipelago-marketplace']
    const listed = [
      ...Array.from({ length: 6 }, (_, index) =>
        release(1_700_000_100, [marketplace, ['n', `${index}`]]),
      ),
      ...Array.from({ length: 120 }, (_, index) => release(1_700_000_000 + index, [marketplace])),
    ]
    const others = [
      release(1_800_000_000, [['t', 'other']]),
      release(1_800_000_000, [marketplace], 1),
      release(1_800_000_001, [marketplace, marketplace]),
    ]
    for (const event of [...listed, ...others]) expect(store.save(event)).toBe('stored')

    const expected = [...listed, others[2] as NostrEvent].sort(compareNewestFirst).slice(0, 100)
    const found = store.query(parseFilters([CATALOG]))
    store.close()
    expect(found.map((event) => event.id)).toEqual(expected.map((event) => event.id))
  })

  it('is rebuilt from the events when a store has the older tags table', () => {
    const path = tempDatabase()
    const event = release(1_700_000_000, [['t', 'archipelago-marketplace']])
    const old = new Database(path)
    old.exec(`
      CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, pubkey TEXT NOT NULL,
        kind INTEGER NOT NULL, created_at INTEGER NOT NULL, address TEXT UNIQUE, json TEXT NOT NULL);
      CREATE TABLE tags (event_seq INTEGER NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
        name TEXT NOT NULL, value TEXT NOT NULL);
      CREATE INDEX tags_by_value ON tags (name, value);
    `)
    old
      .prepare(
        'INSERT INTO events (id, pubkey, kind, created_at, address, json) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(event.id, event.pubkey, event.kind, event.created_at, null, JSON.stringify(event))
    old.close()

    const store = openEventStore(path)
    const found = store.query(parseFilters([CATALOG]))
    store.close()
    expect(found.map((stored) => stored.id)).toEqual([event.id])
  })
})
