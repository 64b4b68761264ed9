// Turns a parsed filter into one SQL SELECT over the event store's schema. List values travel as
// one JSON parameter each (json_each), so a filter of any length stays within SQLite's variable
// limit and the statement text depends only on which fields the filter uses.
import type { ParsedFilter } from './filters.js'

const TAG_CLAUSE =
  'seq IN (SELECT event_seq FROM tags WHERE name = ? AND value IN ' +
  '(SELECT value FROM json_each(?)))'

export interface FilterQuery {
  sql: string
  params: Array<string | number>
}

/** The SELECT returning the `json` of events matching `filter`, newest first, lowest id first. */
export function buildFilterQuery(filter: ParsedFilter): FilterQuery {
  const clauses: string[] = []
  const params: Array<string | number> = []

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

  // Tag conditions go through the tags table's (name, value) index rather than a scan.
  for (const condition of filter.tags) {
    clauses.push(TAG_CLAUSE)
    params.push(condition.name, JSON.stringify([...condition.values]))
  }

  let sql = 'SELECT json FROM events'
  if (clauses.length > 0) sql += ` WHERE ${clauses.join(' AND ')}`
  sql += ' ORDER BY created_at DESC, id ASC'
  if (filter.limit !== undefined) {
    sql += ' LIMIT ?'
    params.push(filter.limit)
  }
  return { sql, params }
}
