// Content-addressed blobs on the local disk (DESIGN.md §4, "Artifacts"): `<root>/<aa>/<blake3>`.
// A write streams into a temp file beside them while hashing with BLAKE3 and SHA-256, is fsynced,
// and is renamed into place only once its digests are accepted, so a blob is whole or absent.
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'

import { createDigestHasher, isHexDigest, type Digests } from '../src/digest/blake3.js'
import { ArchyError, ValidationError } from '../src/errors.js'

export const DEFAULT_MAX_BLOB_BYTES = 2 * 1024 ** 3

export interface BlobStore {
  /** Where the blob lives, whether or not it exists. */
  pathOf(blake3: string): string
  /** The blob's size, or undefined when it is not stored. */
  sizeOf(blake3: string): Promise<number | undefined>
  /** Streams bytes `start`..`end` (inclusive) of a stored blob. */
  read(blake3: string, range?: { start: number; end: number }): Readable
  /**
   * Stores a stream. `accept` sees the digests before the rename and throws to refuse them; a
   * refusal, an error or a stream over `maxBytes` leaves nothing behind.
   */
  write(
    body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    accept?: (digests: Digests) => void,
  ): Promise<Digests>
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

  async function write(
    body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    accept?: (digests: Digests) => void,
  ): Promise<Digests> {
    const tempPath = join(temp, `${Date.now()}-${randomBytes(8).toString('hex')}`)
    const handle = await open(tempPath, 'wx', 0o644)
    let closed = false
    try {
      const hasher = await createDigestHasher()
      let size = 0
      for await (const chunk of body) {
        size += chunk.length
        if (size > maxBytes) throw tooLarge(maxBytes)
        hasher.update(chunk)
        await handle.write(chunk)
      }
      await handle.sync()
      await handle.close()
      closed = true

      const digests = hasher.digest()
      accept?.(digests)
      const finalPath = pathOf(digests.blake3)
      await mkdir(join(root, digests.blake3.slice(0, 2)), { recursive: true })
      await rename(tempPath, finalPath)
      await syncDirectory(join(root, digests.blake3.slice(0, 2)))
      return digests
    } catch (error) {
      if (!closed) await handle.close().catch(() => {})
      await rm(tempPath, { force: true })
      throw error
    }
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
    read: (blake3, range) => createReadStream(pathOf(blake3), range ?? {}),
    write,
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
