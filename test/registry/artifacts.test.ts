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

/** Holds the blob store's `call`th call of one method until `release()`. */
interface Hold {
  method: 'remove' | 'list'
  call: number
  /** Resolves once the held call has been made (for list: once it has read the directory). */
  reached: Promise<void>
  release(): void
  arrive(): void
  released: Promise<void>
}

function holdCall(method: Hold['method'], call = 1): Hold {
  const hold = { method, call } as Hold
  hold.reached = new Promise<void>((resolve) => (hold.arrive = resolve))
  hold.released = new Promise<void>((resolve) => (hold.release = resolve))
  return hold
}

function withHold(blobs: BlobStore, hold: Hold): BlobStore {
  let calls = 0
  const original = blobs[hold.method] as (...args: unknown[]) => Promise<unknown>
  async function held(...args: unknown[]): Promise<unknown> {
    calls += 1
    if (calls !== hold.call) return original(...args)
    const listed = hold.method === 'list' ? await original(...args) : undefined
    hold.arrive()
    await hold.released
    return hold.method === 'list' ? listed : original(...args)
  }
  return { ...blobs, [hold.method]: held }
}

async function openBed(hold?: Hold): Promise<Bed> {
  const dir = mkdtempSync(join(tmpdir(), 'archy-artifacts-'))
  dirs.push(dir)
  const disk = await openBlobStore(join(dir, 'blobs'))
  const blobs = hold ? withHold(disk, hold) : disk
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

  it('keeps a blob uploaded again while a collection was removing it', async () => {
    const hold = holdCall('remove')
    const bed = await openBed(hold)
    const bytes = Buffer.from('expired, then wanted again')
    const blake3 = await bed.store(bytes)
    bed.clock.now += GRACE + 1
    const collecting = bed.artifacts.collectGarbage()
    await hold.reached
    // The upload finishes hashing while the collection holds the removal; its 201 must stand.
    const uploading = bed.store(bytes, 'b'.repeat(64))
    await new Promise((resolve) => setTimeout(resolve, 50))
    hold.release()
    expect(await uploading).toBe(blake3)
    await collecting
    expect(await bed.blobs.sizeOf(blake3)).toBe(bytes.length)
    expect(bed.artifacts.listOwnedBy('b'.repeat(64)).map((blob) => blob.blake3)).toEqual([blake3])
  })

  it('keeps the index row of a blob uploaded after the collection listed the files', async () => {
    // The second listing is the one that finds index rows without a file.
    const hold = holdCall('list', 2)
    const bed = await openBed(hold)
    const collecting = bed.artifacts.collectGarbage()
    await hold.reached
    const blake3 = await bed.store(Buffer.from('arrived during the listing'))
    hold.release()
    await collecting
    expect(
      bed.artifacts.findBySha256(
        (await digestBytes(Buffer.from('arrived during the listing'))).sha256,
      )?.blake3,
    ).toBe(blake3)
    expect(bed.artifacts.listOwnedBy('a'.repeat(64)).map((blob) => blob.blake3)).toEqual([blake3])
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
