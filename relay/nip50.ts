// NIP-50 search over release events, for marketplace search: the app's name, description and tags
// (id, category, metadata tags, the event's `t` tags) from the kind 30078 release content, indexed
// with SQLite FTS5 and ranked by bm25. Only release events are searchable; the index is derived
// from the store, so it lives in memory, is built on the first search and follows every write.
import Database from 'better-sqlite3'
import type { NostrEvent } from 'nostr-tools/pure'
import { ValidationError } from '../src/errors.js'
import type { ParsedFilter } from './filters.js'

const RELEASE_KIND = 30078
const RELEASE_D_PREFIX = 'archipelago-app:'
const MAX_QUERY_LENGTH = 256
const MAX_TERMS = 16

/** The searchable text of a release event, or null when the event is no release event. */
export interface ReleaseText {
  name: string
  description: string
  tags: string
}

export interface SearchIndex {
  /** Indexes (or re-indexes, at its address) a stored event; ignores non-release events. */
  add(event: NostrEvent): void
  /** Event ids matching `query`, best first; `null` when the query has no searchable term. */
  match(query: string): string[] | null
  close(): void
}

/** Reads the `search` field of a filter: a string of at most 256 characters. */
export function readSearchQuery(path: string, value: unknown): string {
  if (typeof value !== 'string') throw new ValidationError(path, 'must be a string')
  if (value.length > MAX_QUERY_LENGTH) {
    throw new ValidationError(path, `must be at most ${MAX_QUERY_LENGTH} characters`)
  }
  return value
}

/**
 * The words of a query: letters and digits, lower-cased, accents on Latin letters removed as the
 * index's tokenizer does (`café` is `cafe`, `ø` and Greek stay). `key:value` extensions (NIP-50)
 * are dropped, as this relay supports none.
 */
export function searchTerms(query: string): string[] {
  const words = query
    .split(/\s+/)
    .filter((word) => !/^[a-z_]+:/i.test(word))
    .flatMap((word) => foldDiacritics(word.toLowerCase()).match(/[\p{L}\p{N}]+/gu) ?? [])
  return [...new Set(words)].slice(0, MAX_TERMS)
}

// What FTS5's `unicode61 remove_diacritics 2` does: a Latin letter that decomposes (NFD) into a
// base and combining marks becomes its base; other scripts keep their marks.
function foldDiacritics(word: string): string {
  return word
    .normalize('NFD')
    .replace(/(\p{Script=Latin})\p{M}+/gu, '$1')
    .normalize('NFC')
}

/** True when every term of `query` starts a word of the release text of `event`. */
export function matchSearch(query: string, event: NostrEvent): boolean {
  const text = readReleaseText(event)
  if (text === null) return false
  const words = new Set(searchTerms(`${text.name} ${text.description} ${text.tags}`))
  return searchTerms(query).every((term) => [...words].some((word) => word.startsWith(term)))
}

/** The name, description and tags of a release event's document, or null for other events. */
export function readReleaseText(event: NostrEvent): ReleaseText | null {
  if (event.kind !== RELEASE_KIND) return null
  const d = event.tags.find((tag) => tag[0] === 'd')?.[1] ?? ''
  if (!d.startsWith(RELEASE_D_PREFIX)) return null

  const eventTags = event.tags.filter((tag) => tag[0] === 't').map((tag) => tag[1] ?? '')
  let app: Record<string, unknown> = {}
  try {
    const document = JSON.parse(event.content) as { manifests?: Array<{ app?: unknown }> }
    const primary = document?.manifests?.[0]?.app
    if (typeof primary === 'object' && primary !== null) app = primary as Record<string, unknown>
  } catch {
    // Content that is no release document still has its address and tags to search.
  }
  const metadata = (typeof app.metadata === 'object' && app.metadata) || {}
  const metadataTags = (metadata as { tags?: unknown }).tags
  const tags = [
    d.slice(RELEASE_D_PREFIX.length),
    text(app.category),
    ...(Array.isArray(metadataTags) ? metadataTags.map(text) : []),
    ...eventTags,
  ]
  return { name: text(app.name), description: text(app.description), tags: tags.join(' ') }
}

/** An empty in-memory index; `load` supplies the stored release events when it is first used. */
export function createSearchIndex(load: () => NostrEvent[]): SearchIndex {
  let db: Database.Database | null = null

  function open(): Database.Database {
    if (db !== null) return db
    db = new Database(':memory:')
    db.exec(`CREATE VIRTUAL TABLE releases USING fts5(
      address UNINDEXED, event_id UNINDEXED, name, description, tags,
      tokenize = 'unicode61 remove_diacritics 2')`)
    const insert = db.transaction((events: NostrEvent[]) => events.forEach(write))
    insert(load())
    return db
  }

  // One row per address (pubkey and d), so a newer version replaces the old one.
  function write(event: NostrEvent): void {
    const text = readReleaseText(event)
    if (text === null || db === null) return
    const address = `${event.pubkey}:${event.tags.find((tag) => tag[0] === 'd')?.[1] ?? ''}`
    db.prepare('DELETE FROM releases WHERE address = ?').run(address)
    db.prepare(
      'INSERT INTO releases (address, event_id, name, description, tags) VALUES (?, ?, ?, ?, ?)',
    ).run(address, event.id, text.name, text.description, text.tags)
  }

  function match(query: string): string[] | null {
    const terms = searchTerms(query)
    if (terms.length === 0) return null
    // Each term quoted (no FTS5 syntax from the client) and matched as a prefix; all must match.
    const expression = terms.map((term) => `"${term}"*`).join(' ')
    const rows = open()
      .prepare(
        'SELECT event_id FROM releases WHERE releases MATCH ? ORDER BY bm25(releases, 10, 3, 5)',
      )
      .all(expression) as Array<{ event_id: string }>
    return rows.map((row) => row.event_id)
  }

  return {
    add: (event) => {
      if (db !== null) write(event)
    },
    match,
    close: () => db?.close(),
  }
}

/**
 * Wraps a store query so that filters with `search` select from the index: the ids it ranks,
 * narrowed by the filter's other fields, best match first, then the filter's limit (NIP-50).
 */
export function searchAwareQuery(
  query: (filters: ParsedFilter[]) => NostrEvent[],
  index: SearchIndex,
): (filters: ParsedFilter[]) => NostrEvent[] {
  return (filters) => {
    if (filters.every((filter) => filter.search === undefined)) return query(filters)
    const found = new Map<string, NostrEvent>()
    for (const filter of filters) {
      for (const event of runFilter(filter)) found.set(event.id, event)
    }
    return [...found.values()]
  }

  function runFilter(filter: ParsedFilter): NostrEvent[] {
    if (filter.search === undefined) return query([filter])
    if (filter.limit === 0) return []
    const ranked = index.match(filter.search)
    // A query without a searchable word matches nothing rather than everything.
    if (ranked === null) return []
    const ids = filter.ids ? ranked.filter((id) => filter.ids?.has(id)) : ranked
    if (ids.length === 0) return []

    const { search: _search, limit, ...rest } = filter
    const events = query([{ ...rest, ids: new Set(ids) }])
    const rank = new Map(ids.map((id, position) => [id, position]))
    events.sort((a, b) => (rank.get(a.id) ?? 0) - (rank.get(b.id) ?? 0))
    return limit === undefined ? events : events.slice(0, limit)
  }
}

/**
 * The filters of a COUNT with each `search` replaced by the ids the index matches (none for a
 * query without a searchable word), so the store counts them like any other filter.
 */
export function searchAwareCount(filters: ParsedFilter[], index: SearchIndex): ParsedFilter[] {
  return filters.map((filter) => {
    if (filter.search === undefined) return filter
    const { search, ...rest } = filter
    const ranked = index.match(search) ?? []
    const ids = filter.ids ? ranked.filter((id) => filter.ids?.has(id)) : ranked
    return { ...rest, ids: new Set(ids) }
  })
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : ''
}
