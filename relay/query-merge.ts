// Runs filter plans (relay/event-query.ts): a k-way merge of each filter's ordered sources, read a
// page at a time from a cursor, so a filter with a limit reads about that many index rows however
// many sources it has. Rows carry seq, created_at and id only; the caller loads the JSON of the
// rows that are returned, and of no others.
import type { Statement } from 'better-sqlite3'
import type { FilterPlan, QuerySource } from './event-query.js'

export interface QueryRow {
  seq: number
  created_at: number
  id: string
}

const MIN_PAGE = 16
const MAX_PAGE = 4096

/** Newest first; lowest id first on equal created_at (NIP-01). */
export function compareRows(a: QueryRow, b: QueryRow): number {
  if (a.created_at !== b.created_at) return b.created_at - a.created_at
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** The rows of every plan, deduplicated, newest first: each plan contributes up to its limit. */
export function runPlans(plans: FilterPlan[], prepare: (sql: string) => Statement): QueryRow[] {
  const found = new Map<number, QueryRow>()
  for (const plan of plans) {
    if (plan.limit === 0) continue
    for (const row of runPlan(plan, prepare)) found.set(row.seq, row)
  }
  return [...found.values()].sort(compareRows)
}

interface Cursor {
  source: QuerySource
  rows: QueryRow[]
  next: number
  page: number
  done: boolean
}

function runPlan(plan: FilterPlan, prepare: (sql: string) => Statement): QueryRow[] {
  const limit = plan.limit ?? Infinity
  const out: QueryRow[] = []
  const seen = new Set<number>()
  const first = Math.min(
    limit,
    MAX_PAGE,
    Math.max(MIN_PAGE, Math.ceil((2 * limit) / plan.sources.length)),
  )

  // An unordered source (ids) is read at once and sorted: it holds at most one row per id.
  const cursors: Cursor[] = []
  for (const source of plan.sources) {
    if (source.ordered) {
      cursors.push(fill({ source, rows: [], next: 0, page: first, done: false }, prepare))
    } else {
      const rows = (prepare(source.sql).all(...source.params) as QueryRow[]).sort(compareRows)
      cursors.push({ source, rows, next: 0, page: 0, done: true })
    }
  }

  while (out.length < limit) {
    let best: Cursor | undefined
    for (const cursor of cursors) {
      const head = cursor.rows[cursor.next]
      if (head && (!best || compareRows(head, best.rows[best.next] as QueryRow) < 0)) best = cursor
    }
    if (!best) break
    const row = best.rows[best.next++] as QueryRow
    if (!seen.has(row.seq)) {
      seen.add(row.seq)
      out.push(row)
    }
    if (best.next === best.rows.length && !best.done) fill(best, prepare)
  }
  return out
}

// The next page of a source after its last row; pages double, so a source that holds most of
// the answer is read in a few statements.
function fill(cursor: Cursor, prepare: (sql: string) => Statement): Cursor {
  const last = cursor.rows[cursor.rows.length - 1]
  const after = last
    ? [last.created_at, last.created_at, last.id]
    : [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, '']
  const size = Number.isFinite(cursor.page) ? cursor.page : MAX_PAGE
  const rows = prepare(cursor.source.sql).all(...cursor.source.params, ...after, size) as QueryRow[]
  cursor.rows = rows
  cursor.next = 0
  cursor.done = rows.length < size
  cursor.page = Math.min(size * 2, MAX_PAGE)
  return cursor
}
