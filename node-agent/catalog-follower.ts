// Following registries: fetch `GET <url>/v1/catalog`, verify it against the pinned DID (moved only
// by a key rotation chain) and the last accepted sequence, and only then store it (DESIGN.md §4,
// "Catalog"). Nothing unverified is ever kept or used; there is no unsigned path.
import { ArchyError, ValidationError, VerificationError } from '../src/errors.js'
import { isEd25519DidKey } from '../src/identity/did-key.js'
import { verifyCatalog, type VerifiedCatalog } from '../src/release/catalog.js'
import {
  checkRotationChain,
  followRotations,
  type KeyRotation,
} from '../src/release/key-rotation.js'
import type { AgentStore, RegistryRecord } from './agent-store.js'

const CATALOG_TIMEOUT_MS = 30_000

// The ETag of the catalog each store last accepted from a URL, with that catalog's digest: a
// refresh asks with If-None-Match, and a 304 answer re-verifies the stored catalog (its expiry
// and its signature against the pin), so an unchanged catalog costs a round trip, not its body.
const validators = new WeakMap<AgentStore, Map<string, { etag: string; contentDigest: string }>>()

function remember(store: AgentStore, url: string, etag: string | undefined, digest: string): void {
  const known = validators.get(store) ?? new Map<string, { etag: string; contentDigest: string }>()
  validators.set(store, known)
  if (etag === undefined) known.delete(url)
  else known.set(url, { etag, contentDigest: digest })
}

export interface AddedRegistry {
  url: string
  did: string
  /** True when no DID was given and the one first seen was pinned. */
  pinnedFirstSeen: boolean
  apps: number
  sequence: number
}

const USERINFO_RULE =
  'must not contain a user name or password (a registry serves its catalog to anyone)'

/**
 * Normalizes a registry URL: http(s), no user name or password, no trailing slash, no query or
 * fragment. Errors never show userinfo: it would end up in terminals and logs.
 */
export function normalizeRegistryUrl(value: string): string {
  const shown = redactUserinfo(value)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ValidationError('URL', `"${shown}" is not a URL`)
  }
  if (url.username || url.password) throw new ValidationError('URL', USERINFO_RULE)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ValidationError('URL', `"${shown}" must be an http or https URL`)
  }
  if (url.search || url.hash) {
    throw new ValidationError('URL', `"${shown}" must have no query or fragment`)
  }
  return url.toString().replace(/\/+$/, '')
}

/** The text with anything before an `@` in its authority (`user:password@`) shown as `***@`. */
export function redactUserinfo(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/?#]*@/i, (_, scheme?: string) => {
    return `${scheme ?? ''}***@`
  })
}

/** Adds (or re-checks) a registry: pins `did`, or the DID its first catalog names. */
export async function addRegistry(
  store: AgentStore,
  rawUrl: string,
  did?: string,
): Promise<AddedRegistry> {
  const url = normalizeRegistryUrl(rawUrl)
  if (did !== undefined && !isEd25519DidKey(did)) {
    throw new ValidationError('--did', `"${did}" is not an Ed25519 did:key`)
  }
  const existing = store.getRegistry(url)
  const current = existing && readCurrentPin(existing)
  if (current && did !== undefined && current.did !== did) {
    throw new VerificationError(
      `${url} is already followed with the pinned key ${current.did}; ` +
        'a pin moves only by a key rotation statement',
    )
  }

  const { value, etag } = await fetchCatalogJson(url)
  const pinnedDid = existing?.did ?? did ?? readClaimedDid(value, url)
  const verified = verifyFor(
    url,
    value,
    existing ?? { did: pinnedDid, sequence: null, contentDigest: null, catalog: null },
  )
  // Store the pin only together with a catalog that verified under it.
  store.addRegistry(url, pinnedDid)
  acceptInto(store, url, existing ?? undefined, verified)
  remember(store, url, etag, verified.contentDigest)
  return {
    url,
    did: verified.signerDid,
    pinnedFirstSeen: existing === undefined && did === undefined,
    apps: verified.entries.length,
    sequence: verified.catalog.sequence,
  }
}

/** Fetches and verifies a followed registry's catalog; the store keeps it only if it verifies. */
export async function refreshRegistry(
  store: AgentStore,
  registry: RegistryRecord,
): Promise<VerifiedCatalog> {
  const known = validators.get(store)?.get(registry.url)
  const held = known !== undefined && known.contentDigest === registry.contentDigest
  const answer = await fetchCatalogJson(registry.url, held ? known.etag : undefined)
  if (answer.notModified) return verifyFor(registry.url, registry.catalog, registry)
  const verified = verifyFor(registry.url, answer.value, registry)
  acceptInto(store, registry.url, registry, verified)
  remember(store, registry.url, answer.etag, verified.contentDigest)
  return verified
}

/**
 * The key a followed registry signs with now: the DID pinned when it was added, moved along the
 * rotation chain of the last catalog accepted from it (which verified before it was stored).
 */
export function readCurrentPin(registry: Pick<RegistryRecord, 'did' | 'catalog'>): {
  did: string
  rotations: KeyRotation[]
} {
  const stored = (registry.catalog as { rotations?: unknown } | null)?.rotations
  let rotations: KeyRotation[] = []
  try {
    if (stored !== undefined) rotations = checkRotationChain(stored)
  } catch {
    rotations = []
  }
  const path = followRotations(rotations, registry.did)
  return { did: path.at(-1)?.new_did ?? registry.did, rotations }
}

function verifyFor(
  url: string,
  value: unknown,
  registry: Pick<RegistryRecord, 'did' | 'sequence' | 'contentDigest' | 'catalog'>,
): VerifiedCatalog {
  const last =
    registry.sequence !== null && registry.contentDigest !== null
      ? { sequence: registry.sequence, contentDigest: registry.contentDigest }
      : undefined
  const pin = readCurrentPin(registry)
  try {
    return verifyCatalog(value, {
      pinnedDid: pin.did,
      knownRotations: pin.rotations,
      ...(last && { last }),
    })
  } catch (error) {
    throw new VerificationError(`${url}: refused: ${(error as Error).message}`, { cause: error })
  }
}

function acceptInto(
  store: AgentStore,
  url: string,
  previous: RegistryRecord | undefined,
  verified: VerifiedCatalog,
): void {
  // An equal sequence with equal content changes nothing; a higher one replaces.
  if (previous?.sequence === verified.catalog.sequence) return
  store.acceptCatalog(url, {
    sequence: verified.catalog.sequence,
    contentDigest: verified.contentDigest,
    catalog: verified.catalog,
  })
}

interface CatalogAnswer {
  value: unknown
  etag?: string
  /** A 304 to If-None-Match: the catalog stored with that ETag is still the registry's. */
  notModified: boolean
}

async function fetchCatalogJson(url: string, ifNoneMatch?: string): Promise<CatalogAnswer> {
  let response: Response
  try {
    response = await fetch(`${url}/v1/catalog`, {
      signal: AbortSignal.timeout(CATALOG_TIMEOUT_MS),
      ...(ifNoneMatch !== undefined && { headers: { 'if-none-match': ifNoneMatch } }),
    })
  } catch (error) {
    const reason = describeFetchFailure(error)
    throw new ArchyError('fetch-failed', `${url}/v1/catalog: cannot fetch the catalog: ${reason}`, {
      cause: error,
    })
  }
  if (response.status === 304 && ifNoneMatch !== undefined) {
    return { value: undefined, notModified: true }
  }
  if (!response.ok) {
    throw new ArchyError(
      'fetch-failed',
      `${url}/v1/catalog: the registry answered HTTP ${response.status}, not a catalog`,
    )
  }
  const etag = response.headers.get('etag') ?? undefined
  try {
    return { value: (await response.json()) as unknown, notModified: false, ...(etag && { etag }) }
  } catch (error) {
    const reason = (error as Error).message
    throw new ValidationError(`${url}/v1/catalog`, `the answer is not JSON (${reason})`, {
      cause: error,
    })
  }
}

function readClaimedDid(value: unknown, url: string): string {
  const registry = (value as { registry?: { did?: unknown } } | null)?.registry
  const did = registry?.did
  if (typeof did !== 'string' || !isEd25519DidKey(did)) {
    throw new ValidationError(`${url}: catalog.registry.did`, 'must be an Ed25519 did:key')
  }
  return did
}

/**
 * Why a fetch failed: undici's own message is only "fetch failed", and the reason
 * (`connect ECONNREFUSED 127.0.0.1:7777`, `getaddrinfo ENOTFOUND ...`) is in its `cause`.
 */
function describeFetchFailure(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return `no answer within ${CATALOG_TIMEOUT_MS / 1000} s`
  }
  const reasons: string[] = []
  let current: unknown = error
  while (current instanceof Error && reasons.length < 4) {
    const text = describeOne(current)
    const generic = text === 'fetch failed' && current.cause instanceof Error
    if (!generic && text && !reasons.includes(text)) reasons.push(text)
    current = current.cause
  }
  return reasons.length > 0 ? reasons.join(': ') : String(error)
}

/** One error's text; an AggregateError (several addresses tried) lists each one's. */
function describeOne(error: Error): string {
  if (error.message || !(error instanceof AggregateError)) return error.message
  return (error.errors as unknown[])
    .map((inner) => (inner instanceof Error ? inner.message : String(inner)))
    .join(', ')
}
