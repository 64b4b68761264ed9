// Artifacts by BLAKE3 digest from the origin registry (DESIGN.md §4, "Artifacts"): streamed to a
// temporary file while hashed, refused (and deleted) unless digest and size match, then moved
// into place atomically as `<state>/artifacts/<blake3>`. A present file is re-verified and reused.
import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { randomBytes } from 'node:crypto'

import { createDigestHasher, digestFile, isHexDigest } from '../src/digest/blake3.js'
import { ArchyError, ValidationError, VerificationError } from '../src/errors.js'
import type { ReleaseArtifact } from '../src/release/release-document.js'

const FETCH_TIMEOUT_MS = 600_000

/** How far a download is: what the CLI draws as a progress bar. */
export interface DownloadProgress {
  name: string
  received: number
  total: number
}

export type ProgressListener = (progress: DownloadProgress) => void

/** Where an artifact's verified bytes live. */
export function artifactPath(artifactsDir: string, blake3: string): string {
  if (!isHexDigest(blake3))
    throw new ValidationError('blake3', `"${blake3}" is not 64 lowercase hex`)
  return path.join(artifactsDir, blake3)
}

/** Returns the path of the artifact's verified bytes, fetching them from the origin if needed. */
export async function fetchArtifact(
  artifact: ReleaseArtifact,
  origin: string,
  artifactsDir: string,
  onProgress?: ProgressListener,
): Promise<string> {
  const target = artifactPath(artifactsDir, artifact.blake3)
  if (await isVerified(target, artifact)) return target

  await mkdir(artifactsDir, { recursive: true, mode: 0o700 })
  const temp = path.join(
    artifactsDir,
    `.partial-${artifact.blake3}-${randomBytes(4).toString('hex')}`,
  )
  try {
    await downloadVerified(artifact, `${origin}/blobs/${artifact.blake3}`, temp, onProgress)
    await rename(temp, target)
  } finally {
    await rm(temp, { force: true })
  }
  return target
}

async function downloadVerified(
  artifact: ReleaseArtifact,
  url: string,
  temp: string,
  onProgress: ProgressListener | undefined,
): Promise<void> {
  let response: Response
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) })
  } catch (error) {
    throw new ArchyError(
      'fetch-failed',
      `artifact ${artifact.name}: ${url}: ${(error as Error).message}`,
      {
        cause: error,
      },
    )
  }
  if (!response.ok || !response.body) {
    throw new ArchyError(
      'fetch-failed',
      `artifact ${artifact.name}: ${url}: HTTP ${response.status}`,
    )
  }

  const hasher = await createDigestHasher()
  let size = 0
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream)
  await pipeline(
    body,
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        size += chunk.length
        // More bytes than the release names: stop at once rather than fill the disk.
        if (size > artifact.size) throw tooLarge(artifact)
        hasher.update(chunk)
        onProgress?.({ name: artifact.name, received: size, total: artifact.size })
        yield chunk
      }
    },
    createWriteStream(temp, { mode: 0o600 }),
  )

  const got = hasher.digest()
  if (got.size !== artifact.size) {
    throw new VerificationError(
      `artifact ${artifact.name} (${artifact.blake3}): got ${got.size} bytes, ` +
        `the release names ${artifact.size}`,
    )
  }
  if (got.blake3 !== artifact.blake3 || got.sha256 !== artifact.sha256) {
    throw new VerificationError(
      `artifact ${artifact.name}: the bytes served hash to blake3 ${got.blake3}, ` +
        `not the digest ${artifact.blake3} the signed release names`,
    )
  }
}

function tooLarge(artifact: ReleaseArtifact): VerificationError {
  return new VerificationError(
    `artifact ${artifact.name} (${artifact.blake3}): ` +
      `more than the ${artifact.size} bytes the release names`,
  )
}

async function isVerified(file: string, artifact: ReleaseArtifact): Promise<boolean> {
  try {
    const info = await stat(file)
    if (!info.isFile() || info.size !== artifact.size) return false
  } catch {
    return false
  }
  const digests = await digestFile(file)
  return digests.blake3 === artifact.blake3 && digests.sha256 === artifact.sha256
}
