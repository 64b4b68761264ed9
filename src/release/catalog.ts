// The signed catalog (DESIGN.md §4, "Catalog"): one entry per (publisher, app), signed by the
// registry's DID. Verification is what an agent does before trusting any entry: pinned signer,
// monotonic sequence, expiry, and each entry's own release proof.
import { createHash } from 'node:crypto'

import { ValidationError, VerificationError } from '../errors.js'
import type { Ed25519Keypair } from '../identity/did-key.js'
import { canonicalize } from '../proof/jcs.js'
import { signDocument, verifyDocument, type DataIntegrityProof } from '../proof/data-integrity.js'
import { isRfc3339 } from '../rfc3339.js'
import { verifyRelease, type ReleaseAuthor, type VerifiedRelease } from './release-document.js'

export interface TrustSummary {
  score: number | null
  band: string
}

export interface CatalogEntry {
  id: string
  publisher: ReleaseAuthor
  version: string
  event_id: string
  release: unknown
  trust: TrustSummary
}

export interface CatalogBody {
  type: 'ArchipelagoCatalog'
  registry: { did: string; url: string; relay: string }
  sequence: number
  issued_at: string
  expires_at: string
  apps: CatalogEntry[]
  rotations?: unknown[]
}

export type Catalog = CatalogBody & { proof: DataIntegrityProof }

export interface AcceptedCatalog {
  sequence: number
  /** SHA-256 of the canonical catalog without its proof: "the same content". */
  contentDigest: string
}

export interface VerifiedCatalog {
  catalog: Catalog
  contentDigest: string
  entries: (VerifiedRelease & { entry: CatalogEntry })[]
}

export const UNSCORED: TrustSummary = { score: null, band: 'unscored' }

/** Signs a catalog body with the operator key. */
export function signCatalog(body: CatalogBody, key: Ed25519Keypair): Catalog {
  return signDocument(body, key) as Catalog
}

/** SHA-256 over the canonical catalog without its proof. */
export function catalogContentDigest(catalog: object): string {
  const { proof: _proof, ...body } = catalog as { proof?: unknown }
  return createHash('sha256').update(canonicalize(body)).digest('hex')
}

/**
 * Verifies a catalog for an agent: signed by the pinned DID, not expired, sequence not lower than
 * the last accepted one (nor equal with other content), and every entry's release proof valid.
 */
export function verifyCatalog(
  value: unknown,
  options: { pinnedDid: string; last?: AcceptedCatalog; now?: Date },
): VerifiedCatalog {
  const catalog = checkCatalogShape(value)
  let signers: string[]
  try {
    signers = verifyDocument(catalog).map((proof) => proof.did)
  } catch (error) {
    throw new VerificationError(`catalog: ${(error as Error).message}`, { cause: error })
  }
  if (signers.length !== 1 || signers[0] !== options.pinnedDid) {
    throw new VerificationError(
      `catalog: signed by ${signers.join(', ')}, ` +
        `not by the pinned registry key ${options.pinnedDid}`,
    )
  }

  const now = options.now ?? new Date()
  if (Date.parse(catalog.expires_at) <= now.getTime()) {
    throw new VerificationError(`catalog: expired at ${catalog.expires_at}`)
  }
  const contentDigest = catalogContentDigest(catalog)
  const last = options.last
  if (last && catalog.sequence < last.sequence) {
    throw new VerificationError(
      `catalog: sequence ${catalog.sequence} is lower than the last accepted ${last.sequence}`,
    )
  }
  if (last && catalog.sequence === last.sequence && contentDigest !== last.contentDigest) {
    throw new VerificationError(
      `catalog: sequence ${catalog.sequence} was already accepted with different content`,
    )
  }

  const entries = catalog.apps.map((entry, index) => {
    const verified = verifyRelease(entry.release, `catalog.apps[${index}].release`)
    checkEntryMatches(entry, verified, index)
    return { ...verified, entry }
  })
  return { catalog, contentDigest, entries }
}

function checkEntryMatches(entry: CatalogEntry, verified: VerifiedRelease, index: number): void {
  const { release } = verified
  const path = `catalog.apps[${index}]`
  if (entry.id !== release.app)
    throw new ValidationError(`${path}.id`, 'does not match its release')
  if (entry.version !== release.version) {
    throw new ValidationError(`${path}.version`, 'does not match its release')
  }
  if (entry.publisher?.did !== release.author.did) {
    throw new ValidationError(`${path}.publisher.did`, 'does not match the release author')
  }
}

function checkCatalogShape(value: unknown): Catalog {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError('catalog', 'must be a JSON object')
  }
  const c = value as Record<string, unknown>
  if (c.type !== 'ArchipelagoCatalog') {
    throw new ValidationError('catalog.type', 'must be "ArchipelagoCatalog"')
  }
  if (c.proof === undefined) throw new VerificationError('catalog: unsigned catalogs are refused')
  if (!Number.isSafeInteger(c.sequence) || (c.sequence as number) < 0) {
    throw new ValidationError('catalog.sequence', 'must be a non-negative integer')
  }
  for (const field of ['issued_at', 'expires_at'] as const) {
    if (typeof c[field] !== 'string' || !isRfc3339(c[field] as string)) {
      throw new ValidationError(`catalog.${field}`, 'must be an RFC 3339 timestamp')
    }
  }
  const registry = c.registry as Record<string, unknown> | undefined
  if (typeof registry !== 'object' || registry === null || typeof registry.did !== 'string') {
    throw new ValidationError('catalog.registry', 'must be an object with did, url and relay')
  }
  if (!Array.isArray(c.apps)) throw new ValidationError('catalog.apps', 'must be an array')
  return value as Catalog
}
