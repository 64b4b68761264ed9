// Turns a parsed filter into SQL over the event store's schema. A filter is driven by one field
// (ids, authors with or without kinds, one tag with or without kinds, kinds, or none) and split
// into one source per value of that field, each read through an index in NIP-01's order (newest
// first, lowest id first), so a limit stops every source early and nothing sorts the match set.
// List values travel as one JSON parameter each (json_each), so statement text depends only on
// which fields a filter uses, never on how many values it lists.
import type { ParsedFilter, TagCondition } from './filters.js'

/** Above this many (value, kind) pairs a driver reads one source per value, kinds as a check. */
const MAX_PAIRED_SOURCES = 256

/** One ordered scan: `sql` takes `params`, then a cursor (created_at, created_at, id), a limit. */
export interface QuerySource {
  sql: string
  params: Array<string | number>
  /** False for ids: the rows come unordered, at most one per listed id, and are sorted after. */
  ordered: boolean
}

export interface FilterPlan {
  sources: QuerySource[]
  /** At most this many events in all (the filter's limit); undefined: every match. */
  limit?: number
}

/** The match set of a filter as `SELECT seq`, unordered and deduplicated, for COUNT. */
export interface FilterQuery {
  sql: string
  params: Array<string | number>
}

const list = (values: Iterable<string | number>): string => JSON.stringify([...values])
const IN_LIST = 'IN (SELECT value FROM json_each(?))'

/** Conditions on a filter's events row (`events`), leaving out the fields in `skip`. */
function eventConditions(
  filter: ParsedFilter,
  now: number,
  skip: { authors?: boolean; kinds?: boolean; tag?: TagCondition; count?: boolean },
): { clauses: string[]; params: Array<string | number> } {
  // NIP-40: an expired event is never served. A count looks the few expired ones up in their
  // partial index instead, so it reads no event row at all.
  const clauses = [
    skip.count
      ? 'events.seq NOT IN (SELECT seq FROM events WHERE expires_at <= ?)'
      : '(events.expires_at IS NULL OR events.expires_at > ?)',
  ]
  const params: Array<string | number> = [now]
  if (filter.ids) {
    clauses.push(`events.id ${IN_LIST}`)
    params.push(list(filter.ids))
  }
  if (filter.authors && !skip.authors) {
    clauses.push(`events.pubkey ${IN_LIST}`)
    params.push(list(filter.authors))
  }
  if (filter.kinds && !skip.kinds) {
    clauses.push(`events.kind ${IN_LIST}`)
    params.push(list(filter.kinds))
  }
  if (filter.since !== undefined) {
    clauses.push('events.created_at >= ?')
    params.push(filter.since)
  }
  if (filter.until !== undefined) {
    clauses.push('events.created_at <= ?')
    params.push(filter.until)
  }
  pushOtherTags(filter, skip.tag, 'events.seq', clauses, params)
  return { clauses, params }
}

// Tag conditions other than the driver's are looked up per candidate row (tags_by_event), never
// read in full: the driver, the condition with the fewest rows, bounds the work.
function pushOtherTags(
  filter: ParsedFilter,
  driver: TagCondition | undefined,
  seq: string,
  clauses: string[],
  params: Array<string | number>,
): void {
  for (const condition of filter.tags) {
    if (condition === driver) continue
    clauses.push(
      `EXISTS (SELECT 1 FROM tags AS other WHERE other.event_seq = ${seq} ` +
        `AND other.name = ? AND other.value ${IN_LIST})`,
    )
    params.push(condition.name, list(condition.values))
  }
}

/** Roughly how many tag rows a condition selects (capped): the store probes its index. */
export type TagEstimate = (condition: TagCondition) => number

/** Tag rows a TagEstimate reads at most: a tag with fewer is small enough to drive any filter. */
export const TAG_PROBE_ROWS = 4096

/** The tag condition to drive from: the one with the fewest rows, else the fewest values. */
function pickTag(filter: ParsedFilter, estimate?: TagEstimate): TagCondition | undefined {
  if (filter.tags.length < 2) return filter.tags[0]
  const size = estimate ?? ((condition: TagCondition) => condition.values.size)
  let best: TagCondition | undefined
  let bestSize = Infinity
  for (const condition of filter.tags) {
    const n = size(condition)
    if (n < bestSize) [best, bestSize] = [condition, n]
  }
  return best
}

/** True when `tag` selects fewer rows than the probe reads, so scanning it all stays cheap. */
function isSmallTag(tag: TagCondition | undefined, estimate?: TagEstimate): boolean {
  return tag !== undefined && estimate !== undefined && estimate(tag) < TAG_PROBE_ROWS
}

/** The sources of `filter` at `now` (Unix seconds): a union of bounded, ordered index scans. */
export function planFilter(filter: ParsedFilter, now: number, estimate?: TagEstimate): FilterPlan {
  const limit = filter.limit
  if (matchesNothing(filter)) return { sources: [] }

  if (filter.ids) {
    const { clauses, params } = eventConditions(filter, now, {})
    const sql = `SELECT seq, created_at, id FROM events WHERE ${clauses.join(' AND ')}`
    return { sources: [{ sql, params, ordered: false }], limit }
  }

  const kinds = filter.kinds ? [...filter.kinds] : undefined
  const paired = (values: number): boolean =>
    kinds !== undefined && values * kinds.length <= MAX_PAIRED_SOURCES

  // Authors drive unless a tag has few rows: an author's events that all miss a rare tag would
  // otherwise be read to the end.
  const tag = pickTag(filter, estimate)
  if (filter.authors && !isSmallTag(tag, estimate)) {
    const authors = [...filter.authors]
    const withKind = paired(authors.length)
    const rest = eventConditions(filter, now, { authors: true, kinds: withKind })
    const index = withKind ? 'events_by_author_kind_time' : 'events_by_author_time'
    const driver = withKind ? 'events.pubkey = ? AND events.kind = ?' : 'events.pubkey = ?'
    const keys = withKind
      ? authors.flatMap((a) => kinds!.map((k) => [a, k]))
      : authors.map((a) => [a])
    return { sources: keys.map((key) => eventSource(index, driver, key, rest)), limit }
  }

  if (tag) {
    const values = [...tag.values]
    const withKind = paired(values.length)
    const rest = eventConditions(filter, now, { kinds: withKind, tag })
    // since and until bound the index range itself, not only the rows it yields.
    const range: string[] = []
    const bounds: number[] = []
    if (filter.since !== undefined) range.push('driver.event_created_at >= ?')
    if (filter.since !== undefined) bounds.push(filter.since)
    if (filter.until !== undefined) range.push('driver.event_created_at <= ?')
    if (filter.until !== undefined) bounds.push(filter.until)
    const keys = withKind
      ? values.flatMap((value) => kinds!.map((kind) => [tag.name, value, kind]))
      : values.map((value) => [tag.name, value])
    const sources = keys.map((key) =>
      tagSource(key, { clauses: [...range, ...rest.clauses], params: [...bounds, ...rest.params] }),
    )
    return { sources, limit }
  }

  const rest = eventConditions(filter, now, { kinds: true })
  if (kinds) {
    const sources = kinds.map((kind) =>
      eventSource('events_by_kind_time', 'events.kind = ?', [kind], rest),
    )
    return { sources, limit }
  }
  return { sources: [eventSource('events_by_time', '1', [], rest)], limit }
}

const CURSOR_ON_EVENTS = 'events.created_at <= ? AND (events.created_at < ? OR events.id > ?)'
const ORDER_ON_EVENTS = 'ORDER BY events.created_at DESC, events.id ASC LIMIT ?'

function eventSource(
  index: string,
  driver: string,
  key: Array<string | number>,
  rest: { clauses: string[]; params: Array<string | number> },
): QuerySource {
  const where = [driver, ...rest.clauses, CURSOR_ON_EVENTS].join(' AND ')
  const from = `FROM events INDEXED BY ${index}`
  const sql = `SELECT seq, created_at, id ${from} WHERE ${where} ${ORDER_ON_EVENTS}`
  return { sql, params: [...key, ...rest.params], ordered: true }
}

// The tag index holds its event's kind, created_at and id (relay/tag-index.ts): rows come out of
// tags_by_kind_time (one kind) or tags_by_time (any kind) in order, and the join reads each row's
// event only to check the filter's other fields.
function tagSource(
  key: Array<string | number>,
  rest: { clauses: string[]; params: Array<string | number> },
): QuerySource {
  const withKind = key.length === 3
  const index = withKind ? 'tags_by_kind_time' : 'tags_by_time'
  const driver = withKind
    ? 'driver.name = ? AND driver.value = ? AND driver.event_kind = ?'
    : 'driver.name = ? AND driver.value = ?'
  const cursor = 'driver.event_created_at <= ? AND (driver.event_created_at < ? OR events.id > ?)'
  const where = [driver, ...rest.clauses, cursor].join(' AND ')
  const sql =
    `SELECT events.seq AS seq, events.created_at AS created_at, events.id AS id ` +
    `FROM tags AS driver INDEXED BY ${index} CROSS JOIN events ON events.seq = driver.event_seq ` +
    `WHERE ${where} ORDER BY driver.event_created_at DESC, driver.event_id ASC LIMIT ?`
  return { sql, params: [...key, ...rest.params], ordered: true }
}

/** The SELECT of the seqs `filter` matches at `now`, for counting: no order, no limit, no JSON. */
export function buildMatchQuery(
  filter: ParsedFilter,
  now: number,
  estimate?: TagEstimate,
): FilterQuery | null {
  if (matchesNothing(filter)) return null
  if (filter.tags.length > 0 && !filter.ids && !filter.authors) {
    return buildTagMatchQuery(filter, now, pickTag(filter, estimate) as TagCondition)
  }
  const { clauses, params } = eventConditions(filter, now, { count: true })
  // seq alone, which every index holds: the planner answers from an index, never the rows.
  return { sql: `SELECT events.seq AS seq FROM events WHERE ${clauses.join(' AND ')}`, params }
}

// A tag filter counted from the tag index alone, which holds kind and created_at: no event row
// is read. An event listing two of the values has two rows, hence DISTINCT.
function buildTagMatchQuery(filter: ParsedFilter, now: number, tag: TagCondition): FilterQuery {
  const clauses = [
    'driver.name = ?',
    `driver.value ${IN_LIST}`,
    'driver.event_seq NOT IN (SELECT seq FROM events WHERE expires_at <= ?)',
  ]
  const params: Array<string | number> = [tag.name, list(tag.values), now]
  if (filter.kinds) {
    clauses.push(`driver.event_kind ${IN_LIST}`)
    params.push(list(filter.kinds))
  }
  if (filter.since !== undefined) {
    clauses.push('driver.event_created_at >= ?')
    params.push(filter.since)
  }
  if (filter.until !== undefined) {
    clauses.push('driver.event_created_at <= ?')
    params.push(filter.until)
  }
  pushOtherTags(filter, tag, 'driver.event_seq', clauses, params)
  const distinct = tag.values.size > 1 ? 'DISTINCT ' : ''
  const where = clauses.join(' AND ')
  return {
    sql: `SELECT ${distinct}driver.event_seq AS seq FROM tags AS driver WHERE ${where}`,
    params,
  }
}

/** True for a filter with an empty list: it matches nothing (as in nostr-tools). */
function matchesNothing(filter: ParsedFilter): boolean {
  const empty = (values?: Set<unknown>): boolean => values !== undefined && values.size === 0
  if (empty(filter.ids) || empty(filter.authors) || empty(filter.kinds)) return true
  return filter.tags.some((condition) => condition.values.size === 0)
}
