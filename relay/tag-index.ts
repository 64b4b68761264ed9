// The tag index: one row per single-letter tag (NIP-01 indexes the first value) holding its
// event's kind, created_at and id, so a catalog query (`kinds`, `#t`, `limit`) reads the rows
// newest first, lowest id first, straight from the index, with no sort (relay/event-query.ts);
// tags_by_time serves a tag filter with no kind, or with too many to pair with each value.
import type Database from 'better-sqlite3'
import type { NostrEvent } from 'nostr-tools/pure'

// event_id is the id's 32 bytes: a BLOB compares as its hex does, in half the space.
const TAGS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS tags (
    event_seq INTEGER NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    event_kind INTEGER NOT NULL,
    event_created_at INTEGER NOT NULL,
    event_id BLOB NOT NULL
  );
  CREATE INDEX IF NOT EXISTS tags_by_kind_time
    ON tags (name, value, event_kind, event_created_at DESC, event_id);
  CREATE INDEX IF NOT EXISTS tags_by_time ON tags (name, value, event_created_at DESC, event_id);
  CREATE INDEX IF NOT EXISTS tags_by_event ON tags (event_seq);
`

const INDEXED_TAG = /^[a-zA-Z]$/
const REBUILD_BATCH = 10_000

export interface TagIndex {
  /** Indexes the tags of `event`, stored as row `seq`; each name and value once. */
  insert(seq: number | bigint, event: NostrEvent): void
}

/** Creates the index, rebuilding it from the events when the store has an older layout. */
export function openTagIndex(db: Database.Database): TagIndex {
  const columns = db.pragma('table_info(tags)') as Array<{ name: string }>
  const outdated = columns.length > 0 && !columns.some((column) => column.name === 'event_kind')
  if (outdated) db.exec('DROP TABLE tags')
  db.exec(TAGS_SCHEMA)

  const insertTag = db.prepare(
    'INSERT INTO tags (event_seq, name, value, event_kind, event_created_at, event_id) ' +
      'VALUES (?, ?, ?, ?, ?, ?)',
  )

  function insert(seq: number | bigint, event: NostrEvent): void {
    const seen = new Set<string>()
    const id = Buffer.from(event.id, 'hex')
    for (const [name, value] of event.tags) {
      if (name === undefined || value === undefined || !INDEXED_TAG.test(name)) continue
      const key = `${name}:${value}`
      if (seen.has(key)) continue
      seen.add(key)
      insertTag.run(seq, name, value, event.kind, event.created_at, id)
    }
  }

  if (outdated) rebuild(db, insert)
  return { insert }
}

function rebuild(db: Database.Database, insert: TagIndex['insert']): void {
  const select = db.prepare('SELECT seq, json FROM events WHERE seq > ? ORDER BY seq LIMIT ?')
  const insertBatch = db.transaction((rows: Array<{ seq: number; json: string }>) => {
    for (const row of rows) insert(row.seq, JSON.parse(row.json) as NostrEvent)
  })
  let after = 0
  for (;;) {
    const rows = select.all(after, REBUILD_BATCH) as Array<{ seq: number; json: string }>
    if (rows.length === 0) return
    insertBatch(rows)
    after = (rows[rows.length - 1] as { seq: number }).seq
  }
}
