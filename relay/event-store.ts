// The relay's SQLite event store (WAL, synchronous=FULL so a commit is on disk before OK true).
// Replaceable and addressable events are kept once per address; single-letter tags are indexed.
import Database from 'better-sqlite3'
import type { Statement } from 'better-sqlite3'
import type { NostrEvent } from 'nostr-tools/pure'
import { addressOf, supersedes } from './kinds.js'
import { buildFilterQuery } from './event-query.js'
import type { ParsedFilter } from './filters.js'
import { openTagIndex } from './tag-index.js'

/** stored: committed; duplicate: this id is already stored; outdated: a newer version is. */
export type SaveOutcome = 'stored' | 'duplicate' | 'outdated'

export interface EventStore {
  save(event: NostrEvent): SaveOutcome
  /** Saves `events` in one transaction: per event, its outcome or the Error it threw. */
  saveBatch(events: NostrEvent[]): Array<SaveOutcome | Error>
  query(filters: ParsedFilter[]): NostrEvent[]
  close(): void
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    pubkey TEXT NOT NULL,
    kind INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    address TEXT UNIQUE,
    json TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS events_by_time ON events (created_at DESC, id);
  CREATE INDEX IF NOT EXISTS events_by_author ON events (pubkey, created_at DESC);
  CREATE INDEX IF NOT EXISTS events_by_kind ON events (kind, created_at DESC);
`

const MAX_CACHED_STATEMENTS = 256

/** Opens (creating when missing) the store at `path`. */
export function openEventStore(path: string): EventStore {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('foreign_keys = ON')
  db.exec(SCHEMA)

  const selectId = db.prepare('SELECT 1 FROM events WHERE id = ?')
  const selectAddress = db.prepare('SELECT seq, id, created_at FROM events WHERE address = ?')
  const deleteEvent = db.prepare('DELETE FROM events WHERE seq = ?')
  const insertEvent = db.prepare(
    'INSERT INTO events (id, pubkey, kind, created_at, address, json) VALUES (?, ?, ?, ?, ?, ?)',
  )
  const tagIndex = openTagIndex(db)
  const queries = new Map<string, Statement>()

  const save = db.transaction((event: NostrEvent): SaveOutcome => {
    if (selectId.get(event.id)) return 'duplicate'

    // One row per address: the newest wins, the lowest id on equal created_at (NIP-01).
    const address = addressOf(event)
    if (address !== null) {
      const current = selectAddress.get(address) as
        { seq: number; id: string; created_at: number } | undefined
      if (current && !supersedes(event, current)) return 'outdated'
      if (current) deleteEvent.run(current.seq)
    }

    const json = JSON.stringify(event)
    const row = insertEvent.run(event.id, event.pubkey, event.kind, event.created_at, address, json)
    tagIndex.insert(row.lastInsertRowid, event)
    return 'stored'
  })

  function prepareQuery(sql: string): Statement {
    let statement = queries.get(sql)
    if (!statement) {
      if (queries.size >= MAX_CACHED_STATEMENTS) queries.clear()
      statement = db.prepare(sql)
      queries.set(sql, statement)
    }
    return statement
  }

  function query(filters: ParsedFilter[]): NostrEvent[] {
    const found = new Map<string, NostrEvent>()
    for (const filter of filters) {
      if (filter.limit === 0) continue
      const { sql, params } = buildFilterQuery(filter)
      const rows = prepareQuery(sql).all(...params) as Array<{ json: string }>
      for (const { json } of rows) {
        const event = JSON.parse(json) as NostrEvent
        found.set(event.id, event)
      }
    }
    return [...found.values()].sort(compareNewestFirst)
  }

  // Group commit (relay/group-commit.ts): each save is a savepoint, so one failing event is undone
  // alone and the others still commit.
  const saveBatch = db.transaction((events: NostrEvent[]) =>
    events.map((event) => {
      try {
        return save(event)
      } catch (error) {
        return error instanceof Error ? error : new Error(String(error))
      }
    }),
  )

  return { save, saveBatch, query, close: () => db.close() }
}

/** Newest first; lowest id first on equal created_at. */
export function compareNewestFirst(a: NostrEvent, b: NostrEvent): number {
  if (a.created_at !== b.created_at) return b.created_at - a.created_at
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}
