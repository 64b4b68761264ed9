// The artifact store's rules on real files and a real SQLite index: garbage collection of blobs
// no kept release names once their grace period has passed, and which releases count.
import { mkdtempSync, rmSync, utimesSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

import { referencedBlobs } from '../../registry/artifact-service.js'
import { createArtifacts, type Artifacts } from '../../registry/artifacts.js'
import { openBlobIndex } from '../../registry/blob-index.js'
import { openBlobStore, type BlobStore } from '../../registry/blob-store.js'
import type { BlossomAuthorization } from '../../registry/blossom-auth.js'
import { openRegistryStore } from '../../registry/store.js'
import { digestBytes } from '../../src/digest/blake3.js'
import { createLogger } from '../../src/log.js'

const GRACE = 3600
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

interface Bed {
  artifacts: Artifacts
  blobs: BlobStore
  referenced: Set<string>
  clock: { now: number }
  store(bytes: Buffer, pubkey?: string): Promise<string>
}

async function openBed(): Promise<Bed> {
  const dir = mkdtempSync(join(tmpdir(), 'archy-artifacts-'))
  dirs.push(dir)
  const blobs = await openBlobStore(join(dir, 'blobs'))
  const index = openBlobIndex(join(dir, 'blobs.sqlite'))
  const referenced = new Set<string>()
  const clock = { now: 1_800_000_000 }
  const artifacts = createArtifacts({
    blobs,
    index,
    referencedBlobs: () => referenced,
    logger: createLogger('test', 'silent'),
    maxBlobBytes: 1 << 20,
    quotaBytes: 1 << 20,
    graceSeconds: GRACE,
    now: () => clock.now,
  })
  async function store(bytes: Buffer, pubkey = 'a'.repeat(64)): Promise<string> {
    const { sha256 } = await digestBytes(bytes)
    const auth = { event: { pubkey }, sha256: [sha256] } as unknown as BlossomAuthorization
    return (await artifacts.upload({ body: [bytes] as never, auth })).blake3
  }
  return { artifacts, blobs, referenced, clock, store }
}

describe('collectGarbage', () => {
  it('removes an unreferenced blob once its grace period has passed, and only then', async () => {
    const bed = await openBed()
    const blake3 = await bed.store(Buffer.from('draft artifact'))
    bed.clock.now += GRACE
    expect((await bed.artifacts.collectGarbage()).removed).toEqual([])

    bed.clock.now += 1
    const report = await bed.artifacts.collectGarbage()
    expect(report).toEqual({ removed: [blake3], bytes: 14 })
    expect(await bed.blobs.sizeOf(blake3)).toBeUndefined()
    expect(bed.artifacts.listOwnedBy('a'.repeat(64))).toEqual([])
  })

  it('keeps a blob a kept release names, however old', async () => {
    const bed = await openBed()
    const blake3 = await bed.store(Buffer.from('image archive'))
    bed.referenced.add(blake3)
    bed.clock.now += 100 * GRACE
    expect((await bed.artifacts.collectGarbage()).removed).toEqual([])
    expect(await bed.blobs.sizeOf(blake3)).toBe(13)
  })

  it('starts the grace period again when a blob is uploaded again', async () => {
    const bed = await openBed()
    const bytes = Buffer.from('uploaded twice')
    const blake3 = await bed.store(bytes)
    bed.clock.now += GRACE
    await bed.store(bytes, 'b'.repeat(64))
    bed.clock.now += GRACE
    expect((await bed.artifacts.collectGarbage()).removed).toEqual([])
    bed.clock.now += 1
    expect((await bed.artifacts.collectGarbage()).removed).toEqual([blake3])
  })

  it('judges a file the index does not know by its modification time', async () => {
    const bed = await openBed()
    const orphan = await bed.blobs.write([Buffer.from('written before the index')])
    const seconds = bed.clock.now - GRACE - 1
    utimesSync(bed.blobs.pathOf(orphan.blake3), seconds, seconds)
    expect((await bed.artifacts.collectGarbage()).removed).toEqual([orphan.blake3])
  })
})

describe('referencedBlobs', () => {
  it('names the artifacts of every release the store keeps', () => {
    const dir = mkdtempSync(join(tmpdir(), 'archy-artifacts-'))
    dirs.push(dir)
    const store = openRegistryStore(join(dir, 'registry.sqlite'))
    const publisher = { did: 'did:key:z6Mk', nostr_pubkey: 'c'.repeat(64) }
    for (const [version, digest] of [
      ['1.0.0', '1'.repeat(64)],
      ['1.1.0', '2'.repeat(64)],
    ] as const) {
      store.addRelease({
        event_id: digest.replace(/./g, version === '1.0.0' ? 'e' : 'f'),
        app_id: 'photo-vault',
        publisher,
        version,
        created_at: 1,
        verified_at: '2026-12-04T00:00:00Z',
        release: { artifacts: [{ name: 'image.tar', blake3: digest }] },
      })
    }
    expect([...referencedBlobs(store)].sort()).toEqual(['1'.repeat(64), '2'.repeat(64)])
    store.close()
  })
})
