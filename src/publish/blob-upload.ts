// Uploading artifacts to a registry's blob store (DESIGN.md §4, "Artifacts"): `PUT /blobs`
// authorized by a Blossom kind 24242 event (BUD-02) naming the body's SHA-256. Present blobs are
// skipped after a HEAD.
import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'

import { ArchyError } from '../errors.js'
import { signNostrEvent } from '../nostr/event.js'
import type { LocalArtifact } from '../release/package-release.js'

export const BLOSSOM_AUTH_KIND = 24242

export interface UploadResult {
  name: string
  blake3: string
  status: 'uploaded' | 'present'
}

/** The `Authorization` header value for uploading a blob with this SHA-256. */
export function blossomUploadAuthorization(
  sha256: string,
  nostrSecret: Uint8Array,
  options: { server?: string; ttlSeconds?: number } = {},
): string {
  const now = Math.floor(Date.now() / 1000)
  const tags = [
    ['t', 'upload'],
    ['x', sha256],
    ['expiration', String(now + (options.ttlSeconds ?? 300))],
  ]
  if (options.server) tags.push(['server', options.server])
  const event = signNostrEvent(
    { kind: BLOSSOM_AUTH_KIND, created_at: now, tags, content: 'Upload artifact' },
    nostrSecret,
  )
  return `Nostr ${Buffer.from(JSON.stringify(event)).toString('base64')}`
}

/** Uploads one artifact unless the registry already holds it. */
export async function uploadArtifact(
  registryUrl: string,
  artifact: LocalArtifact,
  nostrSecret: Uint8Array,
): Promise<UploadResult> {
  const blobUrl = new URL(`/blobs/${artifact.blake3}`, registryUrl)
  const head = await request(blobUrl, { method: 'HEAD' })
  if (head.status === 200)
    return { name: artifact.name, blake3: artifact.blake3, status: 'present' }

  const body = Readable.toWeb(createReadStream(artifact.path)) as ReadableStream<Uint8Array>
  const response = await request(new URL('/blobs', registryUrl), {
    method: 'PUT',
    body,
    duplex: 'half',
    headers: {
      authorization: blossomUploadAuthorization(artifact.sha256, nostrSecret, {
        server: new URL(registryUrl).hostname,
      }),
      'content-type': artifact.media_type,
      'content-length': String(artifact.size),
    },
  } as RequestInit)
  if (response.status !== 201) {
    throw new ArchyError(
      'upload-refused',
      `registry refused ${artifact.name}: ${response.status} ${await errorText(response)}`,
    )
  }
  const answer = (await response.json()) as { blake3?: string }
  if (answer.blake3 !== artifact.blake3) {
    throw new ArchyError('upload-mismatch', `registry stored ${artifact.name} under another digest`)
  }
  return { name: artifact.name, blake3: artifact.blake3, status: 'uploaded' }
}

async function request(url: URL, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init)
  } catch (error) {
    throw new ArchyError('registry-unreachable', `cannot reach ${url.origin}`, { cause: error })
  }
}

async function errorText(response: Response): Promise<string> {
  const text = await response.text()
  try {
    const body = JSON.parse(text) as { message?: string }
    return body.message ?? text
  } catch {
    return text.slice(0, 200)
  }
}
