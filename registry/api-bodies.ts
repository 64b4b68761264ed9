// The JSON bodies of the read API as its handlers (http.ts) build them, named as components of
// `/v1/openapi.json`. test/registry/openapi-bodies.test.ts parses every served body with them,
// envelopes strictly, so a field added, renamed or dropped in a handler fails it.
import { z } from '@hono/zod-openapi'

import { TRUST_BANDS } from './web/app-listing.js'

const hex64 = (description: string): z.ZodString =>
  z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .openapi({ description })
const did = (description: string): z.ZodString =>
  z
    .string()
    .regex(/^did:key:z[1-9A-HJ-NP-Za-km-z]+$/)
    .openapi({ description, example: 'did:key:z6Mk...' })
const timestamp = (description: string): z.ZodISODateTime =>
  z.iso.datetime().openapi({ description: `${description} (RFC 3339, UTC)` })

const AppId = z.string().openapi({ description: 'The app id the publisher chose' })
const EventId = hex64('The release event id (kind 30078)')
const Version = z.string().openapi({ description: 'SemVer', example: '1.4.2' })

// Proofs and the release document are verified against their signatures, not this schema: the
// fields listed are the ones DESIGN.md §4 names, and any further field is let through.
export const Proof = z
  .looseObject({
    type: z.literal('DataIntegrityProof').openapi({ description: 'W3C Data Integrity' }),
    cryptosuite: z.literal('eddsa-jcs-2022').openapi({ description: 'JCS, SHA-256, Ed25519' }),
    verificationMethod: z.string().openapi({ description: 'A key of the signing did:key' }),
    proofPurpose: z
      .string()
      .openapi({ description: 'assertionMethod', example: 'assertionMethod' }),
    created: timestamp('When it was signed'),
    proofValue: z.string().openapi({ description: 'base58btc, multibase z' }),
  })
  .openapi('DataIntegrityProof', { description: 'W3C Data Integrity, eddsa-jcs-2022' })

export const Publisher = z
  .object({
    did: did("The publisher's Ed25519 did:key, which signs its releases"),
    nostr_pubkey: hex64('The Nostr key that signs its release events'),
  })
  .openapi('Publisher', { description: 'Who signed a release: its two keys' })

export const SignedRelease = z
  .looseObject({
    type: z.literal('ArchipelagoRelease').openapi({ description: 'The document type' }),
    app: AppId,
    version: Version,
    author: Publisher,
    manifests: z.array(z.looseObject({})).openapi({ description: 'Primary manifest first' }),
    artifacts: z.array(z.looseObject({})).openapi({
      description: 'name, blake3, sha256, size and media_type of each file it ships',
    }),
    published_at: timestamp('When the publisher signed it'),
    proof: Proof,
  })
  .openapi('Release', { description: 'The signed release document (DESIGN.md §4)' })

export const Trust = z
  .object({
    score: z.number().min(0).max(1).nullable().openapi({ description: 'null until scored' }),
    band: z.enum(TRUST_BANDS).openapi({ description: 'unscored until reputation exists' }),
  })
  .openapi('Trust', { description: "The publisher's reputation; unscored for now" })

const address = z.string().optional().openapi({
  description: 'id@<publisher did>: present when another publisher owns the bare id',
})

export const CatalogEntry = z
  .object({
    id: AppId,
    address,
    publisher: Publisher,
    version: Version,
    event_id: EventId,
    release: SignedRelease,
    trust: Trust,
  })
  .openapi('CatalogEntry', { description: 'One (publisher, app): its newest non-yanked release' })

export const KeyRotation = z
  .object({
    type: z.literal('ArchipelagoKeyRotation').openapi({ description: 'The document type' }),
    old_did: did('The key rotated out'),
    new_did: did('The key that signs from `sequence` on'),
    sequence: z.number().int().min(1).openapi({ description: 'The first catalog it signs' }),
    issued_at: timestamp('When it was signed'),
    proof: z.array(Proof).length(2).openapi({ description: 'By old_did and by new_did' }),
  })
  .openapi('KeyRotation', { description: 'A rotation of the operator key (DESIGN.md §4)' })

export const Rotations = z
  .object({
    rotations: z.array(KeyRotation).openapi({ description: 'Every rotation, oldest first' }),
  })
  .openapi('Rotations', { description: 'The chain of operator key rotations' })

export const Catalog = z
  .object({
    type: z.literal('ArchipelagoCatalog').openapi({ description: 'The document type' }),
    registry: z
      .object({
        did: did('The operator key that signs the catalog'),
        url: z.string().openapi({ description: 'The public HTTP base URL' }),
        relay: z.string().openapi({ description: "The registry's relay (ws: or wss:)" }),
      })
      .openapi({ description: 'The registry that signs and serves it' }),
    sequence: z.number().int().min(0).openapi({ description: 'Strictly increasing, persisted' }),
    issued_at: timestamp('When it was signed'),
    expires_at: timestamp('After this an agent refuses it'),
    apps: z.array(CatalogEntry).openapi({ description: 'By id, the owner of a bare id first' }),
    rotations: z.array(KeyRotation).optional().openapi({
      description: 'Every rotation of the operator key, oldest first; absent before the first',
    }),
    proof: Proof,
  })
  .openapi('Catalog', { description: 'ArchipelagoCatalog, signed by registry.did' })

export const AppSummary = z
  .object({
    id: AppId,
    address,
    name: z.string().openapi({ description: "The primary manifest's name" }),
    description: z.string().nullable().openapi({ description: "The manifest's, or null" }),
    version: Version,
    publisher: Publisher,
    trust: Trust,
    event_id: EventId,
    published_at: timestamp('When the publisher signed the release'),
  })
  .openapi('AppSummary', { description: 'One catalog entry, read from its primary manifest' })

export const AppList = z
  .object({ apps: z.array(AppSummary).openapi({ description: 'In catalog order' }) })
  .openapi('AppList', { description: 'GET /v1/apps' })

const releaseFields = {
  event_id: EventId,
  app_id: AppId,
  publisher: Publisher,
  version: Version,
  created_at: z.number().int().openapi({ description: "The event's created_at, Unix seconds" }),
  verified_at: timestamp('When this registry verified it'),
  yanked: z
    .object({
      deletion_id: hex64('The NIP-09 deletion (kind 5) by its author'),
      yanked_at: timestamp('When this registry applied it'),
    })
    .nullable()
    .openapi({ description: 'null unless the publisher deleted it: kept, never catalogued' }),
}

export const ReleaseSummary = z
  .object(releaseFields)
  .openapi('ReleaseSummary', { description: 'A verified release without its document' })

export const ReleaseRecord = z
  .object({ ...releaseFields, release: SignedRelease })
  .openapi('ReleaseRecord', { description: 'A verified release with its signed document' })

export const Rejection = z
  .object({
    event_id: hex64('The rejected event'),
    pubkey: hex64('Its Nostr author'),
    app_id: AppId.nullable().openapi({ description: 'From its d tag; null when it has none' }),
    reason: z.string().openapi({ description: 'The rule it broke, naming the field' }),
    seen_at: timestamp('When this registry judged it'),
  })
  .openapi('Rejection', { description: 'An event the registry judged and refused' })

const publisherFilter = did('Present when :id was id@<did>: only that publisher').optional()

export const App = z
  .object({
    id: AppId,
    publisher: publisherFilter,
    entries: z.array(CatalogEntry).openapi({ description: 'Its catalog entries, owner first' }),
    releases: z.array(ReleaseSummary).openapi({ description: 'Newest verified first' }),
    rejections: z.array(Rejection).openapi({ description: 'Newest first; none for id@<did>' }),
  })
  .openapi('App', { description: 'GET /v1/apps/{id}' })

export const Releases = z
  .object({
    id: AppId,
    publisher: publisherFilter,
    releases: z.array(ReleaseRecord).openapi({ description: 'Newest verified first' }),
  })
  .openapi('Releases', { description: 'GET /v1/apps/{id}/releases' })

export const Rejections = z
  .object({ rejections: z.array(Rejection).openapi({ description: 'Newest first, up to limit' }) })
  .openapi('Rejections', { description: 'GET /v1/rejections' })

export const Verdict = z
  .discriminatedUnion('status', [
    z.object({ status: z.literal('accepted').openapi({ description: 'Verified, stored' }) }),
    z.object({
      status: z.literal('rejected').openapi({ description: 'Refused, with the reason' }),
      reason: z.string().openapi({ description: 'The rule it broke, naming the field' }),
    }),
  ])
  .openapi('Verdict', { description: 'The registry judged it; there is no pending verdict' })
