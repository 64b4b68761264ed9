// The catalog follower's protections over real HTTP: a lower sequence, an expired catalog, a
// single altered manifest and a rotated-out key are each refused with a clear error, keeping the
// last accepted catalog; a key rotation statement moves the pin, and nothing else does.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { openAgentStore, type AgentStore } from '../../node-agent/agent-store.js'
import { addRegistry, readCurrentPin, refreshRegistry } from '../../node-agent/catalog-follower.js'
import { generateEd25519, type Ed25519Keypair } from '../../src/identity/did-key.js'
import {
  UNSCORED,
  signCatalog,
  type Catalog,
  type VerifiedCatalog,
} from '../../src/release/catalog.js'
import { signKeyRotation, type KeyRotation } from '../../src/release/key-rotation.js'
import type { ReleaseDocument } from '../../src/release/release-document.js'
import { makeKeys, manifestDocument, signRelease } from '../support/release-fixtures.js'
import { startTestRegistry, type TestRegistry } from './agent-test-registry.js'

let dir: string
let store: AgentStore
let registry: TestRegistry
const publisher = makeKeys()
const notes = signRelease(publisher, [manifestDocument('notes', '1.0.0')])
const vault = signRelease(publisher, [manifestDocument('photo-vault', '2.0.0')])

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'catalog-trust-'))
  store = openAgentStore(path.join(dir, 'agent.sqlite'))
  registry = await startTestRegistry()
})

afterEach(async () => {
  store.close()
  await registry.close()
  await rm(dir, { recursive: true, force: true })
})

function stamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z')
}

interface CatalogOptions {
  signer?: Ed25519Keypair
  rotations?: KeyRotation[]
  expiresAt?: Date
  releases?: ReleaseDocument[]
}

/** A catalog as a registry signs it: the signer's DID in `registry`, rotations embedded. */
function catalog(sequence: number, options: CatalogOptions = {}): Catalog {
  const signer = options.signer ?? registry.operator
  const expires = options.expiresAt ?? new Date(Date.now() + 86_400_000)
  const releases = options.releases ?? [notes, vault]
  return signCatalog(
    {
      type: 'ArchipelagoCatalog',
      registry: { did: signer.did, url: registry.url, relay: registry.url.replace('http', 'ws') },
      sequence,
      issued_at: stamp(new Date(expires.getTime() - 172_800_000)),
      expires_at: stamp(expires),
      apps: releases.map((release) => ({
        id: release.app,
        publisher: release.author,
        version: release.version,
        event_id: 'e'.repeat(64),
        release,
        trust: UNSCORED,
      })),
      ...(options.rotations && { rotations: options.rotations }),
    },
    signer,
  )
}

function rotate(from: Ed25519Keypair, to: Ed25519Keypair, sequence: number): KeyRotation {
  const body = {
    type: 'ArchipelagoKeyRotation' as const,
    old_did: from.did,
    new_did: to.did,
    sequence,
    issued_at: stamp(new Date()),
  }
  return signKeyRotation(body, from, to)
}

/** Follows the registry at sequence 5, then serves `next` and refreshes. */
async function refreshWith(next: unknown): Promise<VerifiedCatalog> {
  registry.catalog = catalog(5)
  await addRegistry(store, registry.url, registry.operator.did)
  registry.catalog = next
  return refreshRegistry(store, store.getRegistry(registry.url)!)
}

function altered(): Catalog {
  const changed = structuredClone(vault) as unknown as { manifests: { app: { name: string } }[] }
  changed.manifests[0]!.app.name = 'Not Photo Vault'
  return catalog(6, { releases: [notes, changed as unknown as ReleaseDocument] })
}

describe('refreshRegistry refusals', () => {
  it.each<[string, () => unknown, RegExp]>([
    ['a lower sequence', () => catalog(4), /: refused: catalog: sequence 4 is lower than the last/],
    [
      'an expired catalog',
      () => catalog(6, { expiresAt: new Date(Date.now() - 1000) }),
      /: refused: catalog: expired at \d{4}-\d\d-\d\dT/,
    ],
    [
      'a catalog where one manifest was altered (the operator re-signed the catalog)',
      altered,
      /: refused: catalog\.apps\[1\]\.release: proof: signature does not verify/,
    ],
    [
      'a catalog without a proof',
      () => {
        const { proof: _proof, ...unsigned } = catalog(6)
        return unsigned
      },
      /: refused: catalog: unsigned catalogs are refused$/,
    ],
  ])('refuses %s and keeps the last accepted catalog', async (_name, build, message) => {
    await expect(refreshWith(build())).rejects.toThrow(message)
    const kept = store.getRegistry(registry.url)!
    expect(kept.sequence).toBe(5)
    expect((kept.catalog as Catalog).apps).toHaveLength(2)
  })
})

describe('following a key rotation', () => {
  it('moves the pin along a rotation statement and then refuses the rotated-out key', async () => {
    const next = generateEd25519()
    const rotations = [rotate(registry.operator, next, 6)]
    const followed = await refreshWith(catalog(6, { signer: next, rotations }))
    expect(followed.signerDid).toBe(next.did)
    const record = store.getRegistry(registry.url)!
    expect(record.sequence).toBe(6)
    expect(readCurrentPin(record).did).toBe(next.did)

    // The old key, even with a higher sequence, is refused and named as rotated out.
    registry.catalog = catalog(7)
    await expect(refreshRegistry(store, record)).rejects.toThrow(
      `${registry.url}: refused: catalog: signed by ${registry.operator.did}, a key rotated out ` +
        `at sequence 6; the pinned registry key is ${next.did}`,
    )
    expect(store.getRegistry(registry.url)!.sequence).toBe(6)

    // add-registry again with the old DID is refused: only a rotation moves a pin.
    await expect(addRegistry(store, registry.url, registry.operator.did)).rejects.toThrow(
      /is already followed with the pinned key did:key:\S+; a pin moves only by a key rotation/,
    )
  })

  it('refuses a new key that no statement from the pinned key leads to', async () => {
    const stranger = generateEd25519()
    const next = generateEd25519()
    const rotations = [rotate(stranger, next, 6)]
    await expect(refreshWith(catalog(6, { signer: next, rotations }))).rejects.toThrow(
      /refused: catalog: signed by \S+, not by the pinned registry key \S+, and no rotation/,
    )
    expect(readCurrentPin(store.getRegistry(registry.url)!).did).toBe(registry.operator.did)
  })

  it('refuses the old key in a catalog whose own rotations replaced it', async () => {
    const next = generateEd25519()
    const rotations = [rotate(registry.operator, next, 6)]
    await expect(refreshWith(catalog(6, { rotations }))).rejects.toThrow(
      /refused: catalog: signed by \S+, a key its own rotations replaced by \S+ at sequence 6$/,
    )
  })
})
