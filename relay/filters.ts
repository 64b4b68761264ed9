// NIP-01 filters: strict validation of what a client sends, and matching of live events. A field
// that is present must be well-formed; an empty list matches nothing, as in nostr-tools.
import type { NostrEvent } from 'nostr-tools/pure'
import { ValidationError } from '../src/errors.js'
import { isPlainObject } from './event-shape.js'
import { matchSearch, readSearchQuery } from './nip50.js'

/** One single-letter tag condition: the event has a `name` tag whose first value is listed. */
export interface TagCondition {
  name: string
  values: Set<string>
}

export interface ParsedFilter {
  ids?: Set<string>
  authors?: Set<string>
  kinds?: Set<number>
  tags: TagCondition[]
  since?: number
  until?: number
  limit?: number
  /** NIP-50 full-text query over release events (relay/nip50.ts). */
  search?: string
}

export interface ParseFilterOptions {
  /** Clamp for `limit`, and the limit of a filter without one. Absent: no clamp. */
  maxLimit?: number
}

const HEX_64 = /^[0-9a-f]{64}$/
const TAG_KEY = /^#[a-zA-Z]$/
const HEX_TAGS = new Set(['e', 'p'])

/** Validates every filter; throws ValidationError naming the field (`filters[1].kinds[0]`). */
export function parseFilters(input: unknown[], options: ParseFilterOptions = {}): ParsedFilter[] {
  return input.map((filter, index) => parseFilter(filter, `filters[${index}]`, options))
}

function parseFilter(input: unknown, path: string, options: ParseFilterOptions): ParsedFilter {
  if (!isPlainObject(input)) throw new ValidationError(path, 'must be a JSON object')
  const filter: ParsedFilter = { tags: [] }

  for (const [key, value] of Object.entries(input)) {
    const field = `${path}.${key}`
    if (key === 'ids' || key === 'authors') {
      filter[key] = new Set(readList(field, value, readHex))
    } else if (key === 'kinds') {
      filter.kinds = new Set(readList(field, value, readKind))
    } else if (key === 'since' || key === 'until' || key === 'limit') {
      filter[key] = readTimestampLike(field, value)
    } else if (key === 'search') {
      filter.search = readSearchQuery(field, value)
    } else if (TAG_KEY.test(key)) {
      const name = key.slice(1)
      const read = HEX_TAGS.has(name) ? readHex : readString
      filter.tags.push({ name, values: new Set(readList(field, value, read)) })
    } else if (key.startsWith('#')) {
      throw new ValidationError(field, 'only single-letter tags (#a-z, #A-Z) can be filtered')
    } else {
      throw new ValidationError(field, 'is not a supported filter field')
    }
  }

  if (options.maxLimit !== undefined) {
    filter.limit = Math.min(filter.limit ?? options.maxLimit, options.maxLimit)
  }
  return filter
}

/** True when `event` matches every condition of `filter` (limit aside). */
export function matchFilter(filter: ParsedFilter, event: NostrEvent): boolean {
  if (filter.ids && !filter.ids.has(event.id)) return false
  if (filter.authors && !filter.authors.has(event.pubkey)) return false
  if (filter.kinds && !filter.kinds.has(event.kind)) return false
  if (filter.since !== undefined && event.created_at < filter.since) return false
  if (filter.until !== undefined && event.created_at > filter.until) return false
  if (filter.search !== undefined && !matchSearch(filter.search, event)) return false
  return filter.tags.every((condition) =>
    event.tags.some(
      (tag) => tag[0] === condition.name && tag[1] !== undefined && condition.values.has(tag[1]),
    ),
  )
}

/** True when `event` matches any of `filters`. */
export function matchFilters(filters: ParsedFilter[], event: NostrEvent): boolean {
  return filters.some((filter) => matchFilter(filter, event))
}

function readList<T>(path: string, value: unknown, read: (path: string, item: unknown) => T): T[] {
  if (!Array.isArray(value)) throw new ValidationError(path, 'must be an array')
  return value.map((item: unknown, index) => read(`${path}[${index}]`, item))
}

function readHex(path: string, item: unknown): string {
  if (typeof item !== 'string' || !HEX_64.test(item)) {
    throw new ValidationError(path, 'must be 64 lowercase hex characters')
  }
  return item
}

function readKind(path: string, item: unknown): number {
  if (!Number.isInteger(item) || (item as number) < 0 || (item as number) > 65535) {
    throw new ValidationError(path, 'must be an integer from 0 to 65535')
  }
  return item as number
}

function readString(path: string, item: unknown): string {
  if (typeof item !== 'string') throw new ValidationError(path, 'must be a string')
  return item
}

function readTimestampLike(path: string, value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new ValidationError(path, 'must be a non-negative integer')
  }
  return value as number
}
