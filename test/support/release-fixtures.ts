// Builders for signed releases, release events and catalogs used across tests.
import { generateEd25519, type Ed25519Keypair } from '../../src/identity/did-key.js'
import type { KeyPairs } from '../../src/identity/key-file.js'
import { generateNostrKeys } from '../../src/identity/nostr-keys.js'
import { signDocument } from '../../src/proof/data-integrity.js'
import { signCatalog, UNSCORED, type Catalog } from '../../src/release/catalog.js'
import type { ReleaseArtifact, ReleaseDocument } from '../../src/release/release-document.js'

export const IMAGE_DIGEST = 'b'.repeat(64)

/** A fresh publisher or operator key pair set. */
export function makeKeys(): KeyPairs {
  return { ed25519: generateEd25519(), nostr: generateNostrKeys() }
}

/** A minimal valid manifest document (root key `app`). */
export function manifestDocument(
  id: string,
  version: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    app: {
      id,
      name: id,
      version,
      container: { image: `blake3:${IMAGE_DIGEST}`, command: ['httpd', '-f'] },
      ...extra,
    },
  }
}

export const IMAGE_ARTIFACT: ReleaseArtifact = {
  name: 'image.tar',
  blake3: IMAGE_DIGEST,
  sha256: 'c'.repeat(64),
  size: 1024,
  media_type: 'application/x-tar',
}

/** Signs a release of the given manifests (primary first) with the publisher's keys. */
export function signRelease(
  keys: KeyPairs,
  manifests: Record<string, unknown>[],
  artifacts: ReleaseArtifact[] = [IMAGE_ARTIFACT],
): ReleaseDocument {
  const primary = (manifests[0] as { app: { id: string; version: string } }).app
  return signDocument(
    {
      type: 'ArchipelagoRelease' as const,
      app: primary.id,
      version: primary.version,
      author: { did: keys.ed25519.did, nostr_pubkey: keys.nostr.pubkey },
      manifests,
      artifacts,
      published_at: '2026-12-03T18:00:00Z',
    },
    keys.ed25519,
  ) as ReleaseDocument
}

/** A signed catalog holding the given releases. */
export function makeCatalog(
  operator: Ed25519Keypair,
  releases: ReleaseDocument[],
  options: { sequence?: number; expiresAt?: Date; issuedAt?: Date } = {},
): Catalog {
  const issued = options.issuedAt ?? new Date()
  const expires = options.expiresAt ?? new Date(issued.getTime() + 7 * 86_400_000)
  return signCatalog(
    {
      type: 'ArchipelagoCatalog',
      registry: { did: operator.did, url: 'http://127.0.0.1:1', relay: 'ws://127.0.0.1:1' },
      sequence: options.sequence ?? 1,
      issued_at: issued.toISOString(),
      expires_at: expires.toISOString(),
      apps: releases.map((release) => ({
        id: release.app,
        publisher: release.author,
        version: release.version,
        event_id: 'e'.repeat(64),
        release,
        trust: UNSCORED,
      })),
    },
    operator,
  )
}
