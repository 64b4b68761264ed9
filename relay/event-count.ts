// NIP-45 COUNT in SQL: each filter's match set as index rows (relay/event-query.ts), ORed filters
// counted as their union, never an event's JSON. Deleted and replaced versions are gone from the
// store and expired ones are left out, so a count is what REQ would return without its limits.
// Its cost is bounded: past a number of matching rows the count is refused, not finished.
import type { Statement } from 'better-sqlite3'
import { buildMatchQuery } from './event-query.js'
import type { FilterQuery, TagEstimate } from './event-query.js'
import type { ParsedFilter } from './filters.js'

/** How much a COUNT may read before it is refused. */
export interface CountBudget {
  /** Rows one filter may match: a SQL count over an index, 60 to 150 ms per 200,000 here. */
  events: number
  /** Rows several filters may match together (the sum of their counts): their seqs are read
   * into a bit set, about 1 ms per 1,000 rows here. */
  union: number
}

export const DEFAULT_COUNT_BUDGET: CountBudget = { events: 1_000_000, union: 250_000 }

/** The count, or the budget the filters went past (the COUNT is then refused). */
export type CountResult = { count: number } | { tooMany: number }

/** Counts the events matching any of `filters` at `now` (Unix seconds). */
export function countMatches(
  filters: ParsedFilter[],
  prepare: (sql: string) => Statement,
  estimate?: TagEstimate,
  budget: CountBudget = DEFAULT_COUNT_BUDGET,
  now = Math.floor(Date.now() / 1000),
): CountResult {
  // An unconstrained filter matches every event, so the others add nothing to the union.
  const open = filters.find(isUnconstrained)
  const queries = distinct(
    (open ? [open] : filters).flatMap((filter) => buildMatchQuery(filter, now, estimate) ?? []),
  )
  if (queries.length === 0) return { count: 0 }

  // One filter is counted by SQL alone, stopping one row past its budget.
  if (queries.length === 1) {
    const n = countCapped(queries[0] as FilterQuery, budget.events, prepare)
    return n > budget.events ? { tooMany: budget.events } : { count: n }
  }

  // Several are each counted first, stopping once together they pass the union's budget.
  let total = 0
  for (const query of queries) {
    total += countCapped(query, budget.union - total, prepare)
    if (total > budget.union) return { tooMany: budget.union }
  }
  return { count: countUnion(queries, prepare) }
}

function countCapped(query: FilterQuery, cap: number, prepare: (sql: string) => Statement): number {
  const sql = `SELECT count(*) AS n FROM (${query.sql} LIMIT ?)`
  return (prepare(sql).get(...query.params, cap + 1) as { n: number }).n
}

// The union of ORed filters: each one's seqs (integers from an index, no event rows) set bits
// in a set sized by the highest seq, and the count is the bits set.
function countUnion(queries: FilterQuery[], prepare: (sql: string) => Statement): number {
  let bits: Uint8Array = new Uint8Array(0)
  let count = 0
  for (const query of queries) {
    const seqs = prepare(query.sql)
      .pluck(true)
      .all(...query.params) as number[]
    for (const seq of seqs) {
      if (seq >= bits.length * 8) bits = grow(bits, seq)
      const mask = 1 << (seq & 7)
      const byte = bits[seq >> 3] as number
      if ((byte & mask) === 0) {
        bits[seq >> 3] = byte | mask
        count += 1
      }
    }
  }
  return count
}

function grow(bits: Uint8Array, seq: number): Uint8Array {
  const larger = new Uint8Array(Math.max((seq >> 3) + 1, bits.length * 2))
  larger.set(bits)
  return larger
}

function isUnconstrained(filter: ParsedFilter): boolean {
  return (
    !filter.ids &&
    !filter.authors &&
    !filter.kinds &&
    filter.tags.length === 0 &&
    filter.since === undefined &&
    filter.until === undefined &&
    filter.search === undefined
  )
}

// The same filter twice adds nothing to a union.
function distinct(queries: FilterQuery[]): FilterQuery[] {
  const seen = new Map<string, FilterQuery>()
  for (const query of queries) seen.set(JSON.stringify([query.sql, query.params]), query)
  return [...seen.values()]
}
