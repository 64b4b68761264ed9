// The marketplace's listing, filters and facets as pure functions over catalog entries.
import { describe, expect, it } from 'vitest'

import type { RegistryCatalogEntry } from '../../../registry/catalog-signer.js'
import {
  countFacets,
  filterApps,
  listApps,
  readAppFilter,
} from '../../../registry/web/app-listing.js'

function entry(
  id: string,
  app: Record<string, unknown>,
  extra: Partial<RegistryCatalogEntry> = {},
): RegistryCatalogEntry {
  return {
    id,
    publisher: { did: `did:key:z6Mk${id}`, nostr_pubkey: 'a'.repeat(64) },
    version: '1.0.0',
    event_id: `${id}-event`,
    release: { manifests: [{ app: { id, ...app } }], published_at: '2026-12-03T18:00:00Z' },
    trust: { score: null, band: 'unscored' },
    ...extra,
  }
}

const apps = listApps([
  entry('vault', {
    name: 'Vault',
    description: 'Photos at home',
    category: ' Media ',
    metadata: { tags: ['photos', 7] },
  }),
  entry(
    'vault',
    { name: 'Vault fork' },
    {
      address: 'vault@did:key:z6Mkother',
      publisher: { did: 'did:key:z6Mkother', nostr_pubkey: 'b'.repeat(64) },
      trust: { score: 0.9, band: 'trusted' },
    },
  ),
  entry('notes', { category: 'media' }),
])

describe('listApps', () => {
  it('reads name, description, trimmed category and text tags from the primary manifest', () => {
    expect(apps[0]).toMatchObject({
      address: 'vault',
      name: 'Vault',
      description: 'Photos at home',
      category: 'Media',
      tags: ['photos'],
      claimants: 2,
      eventId: 'vault-event',
    })
  })

  it('falls back to the id for a missing name and to no category', () => {
    expect(apps[1]).toMatchObject({ name: 'Vault fork', address: 'vault@did:key:z6Mkother' })
    expect(listApps([entry('bare', {})])[0]).toMatchObject({ name: 'bare', description: '' })
    expect(listApps([entry('bare', {})])[0]!.category).toBeUndefined()
  })
})

describe('filterApps', () => {
  it.each([
    ['no filter', {}, ['Vault', 'Vault fork', 'notes']],
    ['one word in the description', { q: 'HOME' }, ['Vault']],
    ['every word must match', { q: 'vault fork' }, ['Vault fork']],
    ['a tag', { q: 'photos' }, ['Vault']],
    ['the publisher DID', { q: 'z6mkother' }, ['Vault fork']],
    ['a category in any case', { category: 'MEDIA' }, ['Vault', 'notes']],
    ['a band', { trust: 'trusted' }, ['Vault fork']],
    ['a band and a category', { trust: 'trusted', category: 'media' }, []],
  ])('%s', (_name, filter, names) => {
    expect(filterApps(apps, filter).map((app) => app.name)).toEqual(names)
  })
})

describe('readAppFilter', () => {
  it('drops empty and blank values and trims the rest', () => {
    expect(readAppFilter({ q: '  ', category: '', trust: undefined })).toEqual({})
    expect(readAppFilter({ q: ' a b ', category: ' Media ', trust: 'unscored' })).toEqual({
      q: 'a b',
      category: 'Media',
      trust: 'unscored',
    })
  })

  it.each([
    [{ q: 'x'.repeat(201) }, 'q: must be at most 200 characters'],
    [{ category: 'c'.repeat(65) }, 'category: must be at most 64 characters'],
    [{ trust: 'Trusted' }, 'trust: must be one of trusted, in-network, unknown, unscored'],
    [{ trust: '-x' }, 'trust: must be one of trusted, in-network, unknown, unscored'],
  ])('refuses %j naming the field', (query, message) => {
    expect(() => readAppFilter(query)).toThrow(message)
  })
})

describe('countFacets', () => {
  it('counts values case-insensitively, most common first, keeping the first spelling', () => {
    expect(countFacets(apps, (app) => app.category)).toEqual([{ value: 'Media', count: 2 }])
    expect(countFacets(apps, (app) => app.trust.band)).toEqual([
      { value: 'unscored', count: 2 },
      { value: 'trusted', count: 1 },
    ])
  })
})
