// Content-addressed blobs on the local disk (DESIGN.md §4, "Artifacts"): `<root>/<aa>/<blake3>`.
// A write streams into a temp file beside them while hashing with BLAKE3 and SHA-256, is fsynced,
// and is renamed into place only once its digests are accepted, so a blob is whole or absent.
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'

import { createDigestHasher, isHexDigest, type Digests } from '../src/digest/blake3.js'
import { ArchyError, ValidationError } from '../src/errors.js'

export const DEFAULT_MAX_BLOB_BYTES = 2 * 1024 ** 3

/** Read buffer for serving blobs: large reads keep a loopback GET near the disk's speed. */
export const READ_HIGH_WATER_MARK = 1024 * 1024
const WRITE_BATCH_BYTES = 1024 * 1024

export interface WriteOptions {
  /** Sees the digests before the rename and throws to refuse them. */
  accept?: (digests: Digests) => void
  /** A limit below the store's own for this write (a quota's remainder). */
  maxBytes?: number
  /** The error for a body over `maxBytes`; default `tooLarge`. */
  tooLarge?: () => Error
}

/** A body hashed and on disk in a temp file, not yet under its digest. */
export interface StagedBlob {
  digests: Digests
  /** Renames it into place under its digest, durably. */
  commit(): Promise<void>
  /** Removes the temp file. */
  discard(): Promise<void>
}

export interface StoredFile {
  blake3: string
  size: number
  /** Last modification, in milliseconds since the epoch. */
  mtimeMs: number
}

export interface BlobStore {
  /** Where the blob lives, whether or not it exists. */
  pathOf(blake3: string): string
  /** The blob's size, or undefined when it is not stored. */
  sizeOf(blake3: string): Promise<number | undefined>
  /** Streams bytes `start`..`end` (inclusive) of a stored blob. */
  read(blake3: string, range?: { start: number; end: number }): Readable
  /**
   * Stores a stream. A refusal by `accept`, an error or a stream over the limit leaves nothing
   * behind.
   */
  write(
    body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    options?: WriteOptions,
  ): Promise<Digests>
  /**
   * Hashes a stream into a temp file and stops before the rename, so that the caller can put the
   * rename and its own bookkeeping in one step that nothing else interleaves with.
   */
  stage(
    body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    options?: Omit<WriteOptions, 'accept'>,
  ): Promise<StagedBlob>
  /** Deletes a stored blob; absent is fine. */
  remove(blake3: string): Promise<void>
  /** Every stored blob file, for garbage collection. */
  list(): Promise<StoredFile[]>
}

/** A blob store rooted at `root` (created when missing). */
export async function openBlobStore(
  root: string,
  options: { maxBytes?: number } = {},
): Promise<BlobStore> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BLOB_BYTES
  const temp = join(root, '.tmp')
  // Uploads cut off by a crash leave temp files; none is under way while the store opens.
  await rm(temp, { recursive: true, force: true })
  await mkdir(temp, { recursive: true })

  function pathOf(blake3: string): string {
    if (!isHexDigest(blake3)) throw new ValidationError('blake3', 'must be 64 lowercase hex')
    return join(root, blake3.slice(0, 2), blake3)
  }

  async function stage(
    body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    limit: Omit<WriteOptions, 'accept'> = {},
  ): Promise<StagedBlob> {
    const writeLimit = Math.min(limit.maxBytes ?? maxBytes, maxBytes)
    const refuse = limit.tooLarge ?? (() => tooLarge(writeLimit))
    const tempPath = join(temp, `${Date.now()}-${randomBytes(8).toString('hex')}`)
    const handle = await open(tempPath, 'wx', 0o644)
    let closed = false
    // One write in flight while the next megabyte is hashed: the disk and the hashing overlap.
    let inflight: Promise<unknown> = Promise.resolve()
    try {
      const hasher = await createDigestHasher()
      let size = 0
      // Chunks off a socket are small; writing them a megabyte at a time saves syscalls.
      let pending: Uint8Array[] = []
      let pendingBytes = 0
      for await (const chunk of body) {
        size += chunk.length
        if (size > writeLimit) throw refuse()
        hasher.update(chunk)
        pending.push(chunk)
        pendingBytes += chunk.length
        if (pendingBytes >= WRITE_BATCH_BYTES) {
          await inflight
          inflight = handle.writev(pending)
          inflight.catch(() => {}) // awaited above or below; never an unhandled rejection
          pending = []
          pendingBytes = 0
        }
      }
      await inflight
      if (pending.length > 0) await handle.writev(pending)
      await handle.sync()
      await handle.close()
      closed = true
      const digests = hasher.digest()
      const discard = (): Promise<void> => rm(tempPath, { force: true })
      async function commit(): Promise<void> {
        const folder = join(root, digests.blake3.slice(0, 2))
        try {
          await mkdir(folder, { recursive: true })
          await rename(tempPath, pathOf(digests.blake3))
        } catch (error) {
          await discard()
          throw error
        }
        await syncDirectory(folder)
      }
      return { digests, commit, discard }
    } catch (error) {
      await inflight.catch(() => {})
      if (!closed) await handle.close().catch(() => {})
      await rm(tempPath, { force: true })
      throw error
    }
  }

  async function write(
    body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    { accept, ...limit }: WriteOptions = {},
  ): Promise<Digests> {
    const staged = await stage(body, limit)
    try {
      accept?.(staged.digests)
    } catch (error) {
      await staged.discard()
      throw error
    }
    await staged.commit()
    return staged.digests
  }

  return {
    pathOf,
    async sizeOf(blake3) {
      try {
        const info = await stat(pathOf(blake3))
        return info.isFile() ? info.size : undefined
      } catch {
        return undefined
      }
    },
    read: (blake3, range) =>
      createReadStream(pathOf(blake3), { ...range, highWaterMark: READ_HIGH_WATER_MARK }),
    write,
    stage,
    async remove(blake3) {
      await rm(pathOf(blake3), { force: true })
    },
    async list() {
      const found: StoredFile[] = []
      for (const prefix of await readdir(root)) {
        if (!/^[0-9a-f]{2}$/.test(prefix)) continue
        for (const name of await readdir(join(root, prefix))) {
          if (!isHexDigest(name) || !name.startsWith(prefix)) continue
          const info = await stat(join(root, prefix, name)).catch(() => undefined)
          if (info?.isFile()) found.push({ blake3: name, size: info.size, mtimeMs: info.mtimeMs })
        }
      }
      return found
    },
  }
}

/** The error for a body over the limit; the HTTP edge maps it to 413. */
export function tooLarge(maxBytes: number): ArchyError {
  return new ArchyError('too-large', `body: larger than the limit of ${maxBytes} bytes`)
}

/** Makes a rename durable: fsync the directory that now names the file. */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
