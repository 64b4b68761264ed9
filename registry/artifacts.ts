// The artifact store's rules over the blob files and their index: uploads within the size limit
// and the uploader's quota, Blossom ownership (list, delete), and garbage collection of blobs no
// kept release names once their grace period has passed (README, "Artifacts").
import type { Digests } from '../src/digest/blake3.js'
import { ArchyError, ValidationError } from '../src/errors.js'
import type { Logger } from '../src/log.js'
import type { BlobIndex, IndexedBlob } from './blob-index.js'
import { tooLarge, type BlobStore } from './blob-store.js'
import type { BlossomAuthorization } from './blossom-auth.js'

export interface ArtifactLimits {
  /** Largest single blob, in bytes. */
  maxBlobBytes: number
  /** Bytes one uploader (Nostr pubkey) may hold; a blob counts for each uploader of it. */
  quotaBytes: number
  /** How long an unreferenced blob is kept after its last upload, in seconds. */
  graceSeconds: number
}

export interface ArtifactsOptions extends ArtifactLimits {
  blobs: BlobStore
  index: BlobIndex
  /** BLAKE3 digests named by any kept release, yanked ones included. */
  referencedBlobs: () => Set<string>
  logger: Logger
  /** Told the change in bytes on disk when an upload adds a blob or a delete removes one. */
  onStoredBytes?: (delta: number) => void
  now?: () => number
}

export interface UploadRequest {
  body: AsyncIterable<Uint8Array>
  auth: BlossomAuthorization
  /** The declared Content-Length, when there is one. */
  declaredSize?: number
  type?: string
}

export interface GarbageReport {
  removed: string[]
  bytes: number
}

export interface Artifacts {
  limits: ArtifactLimits
  upload(request: UploadRequest): Promise<IndexedBlob>
  /** Throws what `upload` would for a blob of `size` bytes (BUD-06 `HEAD /upload`). */
  checkUpload(size: number, sha256: string, pubkey?: string): void
  /** The blob of a SHA-256, when stored. */
  findBySha256(sha256: string): IndexedBlob | undefined
  findByBlake3(blake3: string): Promise<IndexedBlob | undefined>
  isOwner(blake3: string, pubkey: string): boolean
  listOwnedBy(pubkey: string, window?: { since?: number; until?: number }): IndexedBlob[]
  /** Drops `pubkey`'s claim; the bytes go too when nobody else holds and no release names them. */
  remove(blake3: string, pubkey: string): Promise<{ deleted: boolean }>
  collectGarbage(): Promise<GarbageReport>
}

/** The artifact store over `blobs` and `index`. */
export function createArtifacts(options: ArtifactsOptions): Artifacts {
  const { blobs, index, logger } = options
  const limits: ArtifactLimits = {
    maxBlobBytes: options.maxBlobBytes,
    quotaBytes: options.quotaBytes,
    graceSeconds: options.graceSeconds,
  }
  const now = options.now ?? (() => Math.floor(Date.now() / 1000))

  // Placing a blob (rename and index row) and removing one (file and row) each run alone: a
  // collection or a delete that read "unreferenced and old" must not remove a blob that an upload
  // put back in place meanwhile and answered 201 for.
  let turn: Promise<unknown> = Promise.resolve()
  function exclusive<T>(step: () => Promise<T>): Promise<T> {
    const result = turn.then(step)
    turn = result.catch(() => {})
    return result
  }

  async function upload(request: UploadRequest): Promise<IndexedBlob> {
    const pubkey = request.auth.event.pubkey
    if (request.declaredSize !== undefined && request.declaredSize > limits.maxBlobBytes) {
      throw tooLarge(limits.maxBlobBytes)
    }
    // A blob the uploader already holds costs nothing more, but it is unknown until hashed: the
    // stream may use the rest of the quota, and the final check below counts exactly.
    const remaining = Math.max(0, limits.quotaBytes - index.usageOf(pubkey))
    const held = request.auth.sha256.some((sha256) => {
      const blob = index.bySha256(sha256)
      return blob !== undefined && index.owns(pubkey, blob.blake3)
    })
    if (!held && request.declaredSize !== undefined && request.declaredSize > remaining) {
      throw quotaExceeded(pubkey, limits.quotaBytes, index.usageOf(pubkey))
    }

    const staged = await blobs.stage(request.body, {
      maxBytes: held ? limits.maxBlobBytes : Math.min(limits.maxBlobBytes, remaining),
      tooLarge: () =>
        remaining < limits.maxBlobBytes && !held
          ? quotaExceeded(pubkey, limits.quotaBytes, index.usageOf(pubkey))
          : tooLarge(limits.maxBlobBytes),
    })
    return await exclusive(async () => {
      try {
        acceptUpload(staged.digests, request.auth)
        // The exact count, now that the digest is known: uploading a blob one holds is free.
        const used = index.usageOf(pubkey)
        if (
          !index.owns(pubkey, staged.digests.blake3) &&
          used + staged.digests.size > limits.quotaBytes
        ) {
          throw quotaExceeded(pubkey, limits.quotaBytes, used)
        }
      } catch (error) {
        await staged.discard()
        throw error
      }
      await staged.commit()
      const blob: IndexedBlob = { ...staged.digests, type: request.type ?? null, uploaded: now() }
      // A blob already indexed was deduplicated by the store: no new bytes on disk.
      const added = index.byBlake3(blob.blake3) === undefined
      index.recordUpload(blob, pubkey)
      if (added) options.onStoredBytes?.(blob.size)
      logger.info({ digest: blob.blake3, size: blob.size, pubkey }, 'blob stored')
      return index.byBlake3(blob.blake3) ?? blob
    })
  }

  function checkUpload(size: number, sha256: string, pubkey?: string): void {
    if (size > limits.maxBlobBytes) throw tooLarge(limits.maxBlobBytes)
    if (pubkey === undefined) return
    const held = index.bySha256(sha256)
    const used = index.usageOf(pubkey)
    if (!(held && index.owns(pubkey, held.blake3)) && used + size > limits.quotaBytes) {
      throw quotaExceeded(pubkey, limits.quotaBytes, used)
    }
  }

  async function findByBlake3(blake3: string): Promise<IndexedBlob | undefined> {
    const indexed = index.byBlake3(blake3)
    if (indexed) return indexed
    // A file without an index row (written before the index, or a crash between rename and
    // insert) is still whole: it was renamed into place only after its digests matched.
    const size = await blobs.sizeOf(blake3)
    return size === undefined ? undefined : { blake3, sha256: '', size, type: null, uploaded: 0 }
  }

  function remove(blake3: string, pubkey: string): Promise<{ deleted: boolean }> {
    return exclusive(async () => {
      index.removeOwner(blake3, pubkey)
      if (index.owners(blake3).length > 0 || options.referencedBlobs().has(blake3)) {
        return { deleted: false }
      }
      const size = index.byBlake3(blake3)?.size ?? 0
      await blobs.remove(blake3)
      index.remove(blake3)
      options.onStoredBytes?.(-size)
      logger.info({ digest: blake3, pubkey }, 'blob deleted')
      return { deleted: true }
    })
  }

  async function collectGarbage(): Promise<GarbageReport> {
    const report: GarbageReport = { removed: [], bytes: 0 }
    for (const file of await blobs.list()) {
      // Judged again inside the step: an upload may have put the blob back since the listing.
      const removed = await exclusive(async () => {
        if (options.referencedBlobs().has(file.blake3)) return false
        const uploaded = index.byBlake3(file.blake3)?.uploaded ?? Math.floor(file.mtimeMs / 1000)
        if (uploaded >= now() - limits.graceSeconds) return false
        await blobs.remove(file.blake3)
        index.remove(file.blake3)
        return true
      })
      if (!removed) continue
      report.removed.push(file.blake3)
      report.bytes += file.size
    }
    // Index rows whose file is gone (removed by hand) would count against quotas forever; each is
    // checked on disk inside the step, since an upload may have placed it after the listing.
    const onDisk = new Set((await blobs.list()).map((file) => file.blake3))
    for (const blob of index.all()) {
      if (onDisk.has(blob.blake3)) continue
      await exclusive(async () => {
        if ((await blobs.sizeOf(blob.blake3)) === undefined) index.remove(blob.blake3)
      })
    }

    if (report.removed.length > 0) {
      logger.info({ count: report.removed.length, bytes: report.bytes }, 'blobs collected')
    }
    return report
  }

  return {
    limits,
    upload,
    checkUpload,
    findBySha256: (sha256) => index.bySha256(sha256),
    findByBlake3,
    isOwner: (blake3, pubkey) => index.owns(pubkey, blake3),
    listOwnedBy: (pubkey, window) => index.ownedBy(pubkey, window),
    remove,
    collectGarbage,
  }
}

/** The body's SHA-256 must be one the authorization names (BUD-02). */
function acceptUpload(found: Digests, auth: BlossomAuthorization): void {
  if (!auth.sha256.includes(found.sha256)) {
    throw new ValidationError(
      'body',
      `its SHA-256 ${found.sha256} is not named by an x tag of the authorization`,
    )
  }
}

/** The error for an upload past the uploader's quota; the HTTP edge maps it to 413. */
export function quotaExceeded(pubkey: string, quota: number, used: number): ArchyError {
  return new ArchyError(
    'quota-exceeded',
    `body: uploader ${pubkey} holds ${used} of its ${quota} bytes; this upload does not fit`,
  )
}
