// The signed catalog (DESIGN.md §4, "Catalog"): one entry per (publisher, app), signed by the
// registry's DID. Verification is what an agent does before trusting any entry: pinned signer (or
// a key rotation chain from it), monotonic sequence, expiry, and each entry's own release proof.
import { createHash } from 'node:crypto'

import { ValidationError, VerificationError } from '../errors.js'
import type { Ed25519Keypair } from '../identity/did-key.js'
import { canonicalize } from '../proof/jcs.js'
import { signDocument, verifyDocument, type DataIntegrityProof } from '../proof/data-integrity.js'
import { isRfc3339 } from '../rfc3339.js'
import { checkRotationChain, followRotations, type KeyRotation } from './key-rotation.js'
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
  /** Every key rotation of this registry so far, oldest first (DESIGN.md §4, "Key rotation"). */
  rotations?: KeyRotation[]
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
  /** The key that signed it: the pinned one, or where the rotations lead from it. */
  signerDid: string
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
 * Verifies a catalog for an agent: signed by the pinned DID or by the key its rotation chain leads
 * to from the pinned one, not expired, sequence not lower than the last accepted one (nor equal
 * with other content), and every entry's release proof valid. `knownRotations` (the last accepted
 * catalog's) only make the refusal of a rotated-out key say so.
 */
export function verifyCatalog(
  value: unknown,
  options: {
    pinnedDid: string
    last?: AcceptedCatalog
    now?: Date
    knownRotations?: KeyRotation[]
  },
): VerifiedCatalog {
  const catalog = checkCatalogShape(value)
  const rotations = readRotations(catalog)
  let signers: string[]
  try {
    signers = verifyDocument(catalog).map((proof) => proof.did)
  } catch (error) {
    throw new VerificationError(`catalog: ${(error as Error).message}`, { cause: error })
  }
  if (signers.length !== 1) {
    throw new VerificationError(`catalog: signed by ${signers.join(', ')}, not by one key`)
  }
  const signerDid = signers[0]!
  checkSigner(catalog, signerDid, rotations, options)

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
  return { catalog, contentDigest, signerDid, entries }
}

function readRotations(catalog: Catalog): KeyRotation[] {
  if (catalog.rotations === undefined) return []
  try {
    return checkRotationChain(catalog.rotations, 'catalog.rotations')
  } catch (error) {
    throw new VerificationError(`catalog: ${(error as Error).message}`, { cause: error })
  }
}

/** The signer is the registry's key now: the pinned one, or the end of a chain from it. */
function checkSigner(
  catalog: Catalog,
  signer: string,
  rotations: KeyRotation[],
  options: { pinnedDid: string; knownRotations?: KeyRotation[] },
): void {
  const pinned = options.pinnedDid
  if (catalog.registry.did !== signer) {
    throw new VerificationError(
      `catalog: registry.did ${catalog.registry.did} is not the key that signed it (${signer})`,
    )
  }
  const newest = rotations.at(-1)
  if (newest && newest.new_did !== signer) {
    throw new VerificationError(
      `catalog: signed by ${signer}, a key its own rotations replaced by ${newest.new_did} ` +
        `at sequence ${newest.sequence}`,
    )
  }
  if (signer === pinned) return

  const path = followRotations(rotations, pinned)
  if (path.length === 0) {
    const retired = [...(options.knownRotations ?? []), ...rotations].find(
      (rotation) => rotation.old_did === signer,
    )
    throw new VerificationError(
      retired
        ? `catalog: signed by ${signer}, a key rotated out at sequence ${retired.sequence}; ` +
            `the pinned registry key is ${pinned}`
        : `catalog: signed by ${signer}, not by the pinned registry key ${pinned}, and no ` +
            'rotation statement in it leads from that key',
    )
  }
  const start = path.at(-1)!.sequence
  if (catalog.sequence < start) {
    throw new VerificationError(
      `catalog: sequence ${catalog.sequence} is lower than ${start}, where the rotation to ` +
        `${signer} begins`,
    )
  }
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
