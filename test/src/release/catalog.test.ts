// verifyCatalog on catalogs built from signed fixtures: the pinned key, each release's own
// proof, sequence and content rules, expiry, and unsigned or malformed catalogs.
import { describe, expect, it } from 'vitest'

import { catalogContentDigest, signCatalog, verifyCatalog } from '../../../src/release/catalog.js'
import {
  makeCatalog,
  makeKeys,
  manifestDocument,
  signRelease,
} from '../../support/release-fixtures.js'

describe('verifyCatalog', () => {
  const operator = makeKeys().ed25519
  const publisher = makeKeys()
  const release = signRelease(publisher, [manifestDocument('web', '1.0.0')])
  const pinnedDid = operator.did
  /** The check of a catalog against the pinned key, to pass to expect. */
  const verifying = (catalog: unknown) => () => verifyCatalog(catalog, { pinnedDid })

  it('accepts a catalog signed by the pinned key and verifies each release', () => {
    const catalog = makeCatalog(operator, [release], { sequence: 3 })
    const verified = verifyCatalog(catalog, { pinnedDid })
    expect(verified.entries[0]?.manifests[0]?.id).toBe('web')
    expect(verified.contentDigest).toBe(catalogContentDigest(catalog))
  })

  it('accepts the same catalog again (same sequence, same content)', () => {
    const catalog = makeCatalog(operator, [release], { sequence: 3 })
    const last = { sequence: 3, contentDigest: catalogContentDigest(catalog) }
    expect(() => verifyCatalog(catalog, { pinnedDid, last })).not.toThrow()
  })

  it('refuses a catalog whose issued_at is not an RFC 3339 timestamp', () => {
    const { proof: _proof, ...body } = makeCatalog(operator, [release])
    const catalog = signCatalog({ ...body, issued_at: '2026' }, operator)
    expect(verifying(catalog)).toThrow('catalog.issued_at: must be an RFC 3339 timestamp')
  })

  it('refuses a catalog whose release was changed after signing', () => {
    const catalog = structuredClone(makeCatalog(operator, [release]))
    ;(catalog.apps[0]!.release as any).manifests[0].app.name = 'Changed'
    expect(verifying(catalog)).toThrow(/signature does not verify/)
  })

  it('refuses an entry release that was changed, even re-signed by the operator', () => {
    const changed = structuredClone(release) as any
    changed.manifests[0].app.name = 'Changed'
    const catalog = makeCatalog(operator, [changed])
    expect(verifying(catalog)).toThrow(/release: .*does not verify/)
  })

  it('refuses a catalog signed by another key', () => {
    const catalog = makeCatalog(makeKeys().ed25519, [release])
    expect(verifying(catalog)).toThrow(/not by the pinned registry key/)
  })

  it('refuses a lower sequence', () => {
    const catalog = makeCatalog(operator, [release], { sequence: 2 })
    const last = { sequence: 5, contentDigest: 'x' }
    expect(() => verifyCatalog(catalog, { pinnedDid, last })).toThrow(
      /sequence 2 is lower than the last accepted 5/,
    )
  })

  it('refuses an equal sequence with different content', () => {
    const first = makeCatalog(operator, [release], { sequence: 4 })
    const second = makeCatalog(operator, [], { sequence: 4 })
    const last = { sequence: 4, contentDigest: catalogContentDigest(first) }
    expect(() => verifyCatalog(second, { pinnedDid, last })).toThrow(
      /sequence 4 was already accepted with different content/,
    )
  })

  it('refuses an expired catalog', () => {
    const catalog = makeCatalog(operator, [release], {
      issuedAt: new Date(Date.now() - 10 * 86_400_000),
      expiresAt: new Date(Date.now() - 1000),
    })
    expect(verifying(catalog)).toThrow(/catalog: expired at/)
  })

  it('refuses an unsigned catalog and a non-catalog', () => {
    const { proof: _proof, ...unsigned } = makeCatalog(operator, [release])
    expect(verifying(unsigned)).toThrow(/unsigned catalogs are refused/)
    expect(() => verifyCatalog([], { pinnedDid })).toThrow(/must be a JSON object/)
  })

  it('refuses an entry whose id disagrees with its release', () => {
    const { proof: _proof, ...body } = makeCatalog(operator, [release])
    body.apps[0]!.id = 'other'
    const signed = signCatalog(body, operator)
    expect(verifying(signed)).toThrow(/apps\[0\].id: does not match/)
  })
})
