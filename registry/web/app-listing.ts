// What the marketplace list shows and filters: one listing per catalog entry, read from its
// release's primary manifest, and the search (every word somewhere in the app's text), category
// and trust band filters, applied on the server so the page works without JavaScript.
import { ValidationError } from '../../src/errors.js'
import { quoteValue } from '../../src/quote-value.js'
import type { TrustSummary } from '../../src/release/catalog.js'
import type { ReleaseAuthor, ReleaseDocument } from '../../src/release/release-document.js'
import type { RegistryCatalogEntry } from '../catalog-signer.js'

export interface AppListing {
  /** What `archy agent install` takes: the bare id, or `id@<did>` for a second claimant. */
  address: string
  id: string
  name: string
  description: string
  category?: string
  tags: string[]
  version: string
  /** The release event the catalog offers. */
  eventId: string
  publisher: ReleaseAuthor
  trust: TrustSummary
  publishedAt: string
  /** How many publishers' apps in the catalog carry this id. */
  claimants: number
}

export interface AppFilter {
  q?: string
  category?: string
  trust?: string
}

export interface Facet {
  value: string
  count: number
}

/** Apps per marketplace page. */
export const PAGE_SIZE = 48

export const MAX_QUERY = 200
export const MAX_CATEGORY = 64
/** The trust bands a catalog entry can carry: issue 6's three, and `unscored` until it lands. */
export const TRUST_BANDS = ['trusted', 'in-network', 'unknown', 'unscored'] as const

/** The catalog's entries as listings, in catalog order. */
export function listApps(entries: RegistryCatalogEntry[]): AppListing[] {
  const claims = new Map<string, number>()
  for (const entry of entries) claims.set(entry.id, (claims.get(entry.id) ?? 0) + 1)
  return entries.map((entry) => {
    const release = entry.release as ReleaseDocument
    const app = (release.manifests[0]?.app ?? {}) as Record<string, unknown>
    const metadata = (app.metadata ?? {}) as Record<string, unknown>
    const tags = Array.isArray(metadata.tags) ? metadata.tags.filter(isText) : []
    return {
      address: entry.address ?? entry.id,
      id: entry.id,
      name: isText(app.name) ? app.name : entry.id,
      description: isText(app.description) ? app.description : '',
      ...(isText(app.category) && app.category.trim() ? { category: app.category.trim() } : {}),
      tags,
      version: entry.version,
      eventId: entry.event_id,
      publisher: entry.publisher,
      trust: entry.trust,
      publishedAt: release.published_at,
      claimants: claims.get(entry.id) ?? 1,
    }
  })
}

/** Reads `q`, `category` and `trust` from a query; empty means "any". Names a bad one. */
export function readAppFilter(query: Record<string, string | undefined>): AppFilter {
  const filter: AppFilter = {}
  const q = query.q?.trim()
  if (q) {
    if (q.length > MAX_QUERY)
      throw new ValidationError('q', `must be at most ${MAX_QUERY} characters`)
    filter.q = q
  }
  const category = query.category?.trim()
  if (category) {
    if (category.length > MAX_CATEGORY) {
      throw new ValidationError('category', `must be at most ${MAX_CATEGORY} characters`)
    }
    filter.category = category
  }
  const trust = query.trust?.trim()
  if (trust) {
    if (!(TRUST_BANDS as readonly string[]).includes(trust)) {
      throw new ValidationError(
        'trust',
        `must be one of ${TRUST_BANDS.join(', ')}, not ${quoteValue(trust)}`,
      )
    }
    filter.trust = trust
  }
  return filter
}

/** Reads the `page` parameter: a whole number from 1, default 1. */
export function readPageNumber(text: string | undefined): number {
  if (text === undefined || text === '') return 1
  if (!/^[1-9]\d{0,5}$/.test(text)) {
    throw new ValidationError('page', 'must be a whole number from 1 to 999999')
  }
  return Number(text)
}

/** The listings that match every part of the filter. */
export function filterApps(apps: AppListing[], filter: AppFilter): AppListing[] {
  const words = filter.q ? filter.q.toLowerCase().split(/\s+/) : []
  const category = filter.category?.toLowerCase()
  return apps.filter((app) => {
    if (category !== undefined && app.category?.toLowerCase() !== category) return false
    if (filter.trust !== undefined && app.trust.band !== filter.trust) return false
    if (words.length === 0) return true
    const text = searchableText(app)
    return words.every((word) => text.includes(word))
  })
}

/** The distinct values of one field with their counts, most common first, then by name. */
export function countFacets(
  apps: AppListing[],
  pick: (app: AppListing) => string | undefined,
): Facet[] {
  const counts = new Map<string, Facet>()
  for (const app of apps) {
    const value = pick(app)
    if (value === undefined) continue
    const key = value.toLowerCase()
    const facet = counts.get(key) ?? { value, count: 0 }
    facet.count += 1
    counts.set(key, facet)
  }
  return [...counts.values()].sort(
    (a, b) => b.count - a.count || a.value.localeCompare(b.value, 'en'),
  )
}

// Each listing's text, lowercased once: listings live as long as their signed catalog.
const searchable = new WeakMap<AppListing, string>()

function searchableText(app: AppListing): string {
  let text = searchable.get(app)
  if (text === undefined) {
    const parts = [app.id, app.name, app.description, app.category ?? '', ...app.tags]
    text = [...parts, app.publisher.did].join('\n').toLowerCase()
    searchable.set(app, text)
  }
  return text
}

function isText(value: unknown): value is string {
  return typeof value === 'string'
}
