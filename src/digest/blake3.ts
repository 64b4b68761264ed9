// Artifact digests: BLAKE3-256 (the artifact's address) and SHA-256 (Blossom's), computed together
// in one pass over a stream. BLAKE3 comes from hash-wasm (WebAssembly, ~950 MiB/s here).
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

import { createBLAKE3 } from 'hash-wasm'

export interface Digests {
  blake3: string
  sha256: string
  size: number
}

export interface DigestHasher {
  update(chunk: Uint8Array): void
  digest(): Digests
}

/** A hasher computing BLAKE3-256 and SHA-256 of everything given to it. */
export async function createDigestHasher(): Promise<DigestHasher> {
  const blake3 = await createBLAKE3(256)
  blake3.init()
  const sha256 = createHash('sha256')
  let size = 0
  return {
    update(chunk) {
      blake3.update(chunk)
      sha256.update(chunk)
      size += chunk.length
    },
    digest: () => ({ blake3: blake3.digest('hex'), sha256: sha256.digest('hex'), size }),
  }
}

/** Both digests of some bytes. */
export async function digestBytes(bytes: Uint8Array): Promise<Digests> {
  const hasher = await createDigestHasher()
  hasher.update(bytes)
  return hasher.digest()
}

/** Both digests of a file, streamed. */
export async function digestFile(path: string): Promise<Digests> {
  const hasher = await createDigestHasher()
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hasher.update(chunk as Buffer)
  }
  return hasher.digest()
}

/** True for a lowercase 64-hex digest. */
export function isHexDigest(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value)
}
