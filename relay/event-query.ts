// Turns a parsed filter into one SQL SELECT over the event store's schema. List values travel as
// one JSON parameter each (json_each), so a filter of any length stays within SQLite's variable
// limit and the statement text depends only on which fields the filter uses.
import type { ParsedFilter, TagCondition } from './filters.js'

const TAG_CLAUSE =
  'seq IN (SELECT event_seq FROM tags WHERE name = ? AND value IN ' +
  '(SELECT value FROM json_each(?)))'

export interface FilterQuery {
  sql: string
  params: Array<string | number>
}

/**
 * The SELECT returning the `json` of events matching `filter`, newest first, lowest id first,
 * leaving out events expired at `now` (Unix seconds, NIP-40).
 */
export function buildFilterQuery(filter: ParsedFilter, now: number): FilterQuery {
  const clauses: string[] = ['(expires_at IS NULL OR expires_at > ?)']
  const params: Array<string | number> = [now]

  if (filter.ids) {
    clauses.push('id IN (SELECT value FROM json_each(?))')
    params.push(JSON.stringify([...filter.ids]))
  }
  if (filter.authors) {
    clauses.push('pubkey IN (SELECT value FROM json_each(?))')
    params.push(JSON.stringify([...filter.authors]))
  }
  if (filter.kinds) {
    clauses.push('kind IN (SELECT value FROM json_each(?))')
    params.push(JSON.stringify([...filter.kinds]))
  }
  if (filter.since !== undefined) {
    clauses.push('created_at >= ?')
    params.push(filter.since)
  }
  if (filter.until !== undefined) {
    clauses.push('created_at <= ?')
    params.push(filter.until)
  }

  // A tag condition with one value drives the query from the tag index (relay/tag-index.ts),
  // which holds kind and created_at: with one kind as well, rows come out in order, unsorted.
  const driver = filter.tags.find((condition) => condition.values.size === 1)
  if (driver) pushDriver(filter, driver, clauses, params)

  // Other tag conditions go through the same index by (name, value) rather than a scan.
  for (const condition of filter.tags) {
    if (condition === driver) continue
    clauses.push(TAG_CLAUSE)
    params.push(condition.name, JSON.stringify([...condition.values]))
  }

  const source = driver ? 'tags CROSS JOIN events ON seq = event_seq' : 'events'
  const order = driver ? 'event_created_at DESC, event_id ASC' : 'created_at DESC, id ASC'
  let sql = `SELECT json FROM ${source} WHERE ${clauses.join(' AND ')}`
  sql += ` ORDER BY ${order}`
  if (filter.limit !== undefined) {
    sql += ' LIMIT ?'
    params.push(filter.limit)
  }
  return { sql, params }
}

function pushDriver(
  filter: ParsedFilter,
  driver: TagCondition,
  clauses: string[],
  params: Array<string | number>,
): void {
  clauses.push('name = ?', 'value = ?')
  params.push(driver.name, ...driver.values)
  if (filter.kinds?.size === 1) {
    clauses.push('event_kind = ?')
    params.push(...filter.kinds)
  }
  if (filter.since !== undefined) {
    clauses.push('event_created_at >= ?')
    params.push(filter.since)
  }
  if (filter.until !== undefined) {
    clauses.push('event_created_at <= ?')
    params.push(filter.until)
  }
}
