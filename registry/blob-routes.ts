// Blob routes (DESIGN.md §4, "Artifacts"): `GET|HEAD /blobs/:blake3` with immutable caching and a
// single byte range (RFC 9110 §14), and `PUT /blobs` authorized by a Blossom kind 24242 event.
import { Readable } from 'node:stream'
import type { HttpBindings } from '@hono/node-server'
import type { Hono } from 'hono'

import { isHexDigest } from '../src/digest/blake3.js'
import { ArchyError, ValidationError } from '../src/errors.js'
import type { BlobStore } from './blob-store.js'
import { tooLarge } from './blob-store.js'
import { checkUploadAuthorization } from './blossom-auth.js'
import { matchesIfNoneMatch } from './http-conditional.js'
import { methodNotAllowed, notFound } from './http-errors.js'
import { readQuery } from './http-query.js'
import type { RegistryStore } from './store.js'

export interface BlobRoutesOptions {
  blobs: BlobStore
  store: RegistryStore
  maxBlobBytes: number
  /** This server's host name, checked against BUD-11 `server` tags. */
  serverHost?: string
}

/** Adds the blob routes to `app`. */
export function addBlobRoutes(
  app: Hono<{ Bindings: HttpBindings }>,
  options: BlobRoutesOptions,
): void {
  const { blobs, store } = options

  // HEAD is answered by the GET handler (Hono runs it), so it refuses the same queries.
  app.get('/blobs/:blake3', async (c) => {
    readQuery(c)
    const blake3 = c.req.param('blake3')
    if (!isHexDigest(blake3)) throw new ValidationError('blake3', 'must be 64 lowercase hex')
    const size = await blobs.sizeOf(blake3)
    if (size === undefined) throw notFound(`blob ${blake3} is not stored here`)

    const etag = `"${blake3}"`
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      'cache-control': 'public, max-age=31536000, immutable',
      'accept-ranges': 'bytes',
      etag,
    }
    if (matchesIfNoneMatch(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers)

    let range: { start: number; end: number } | undefined
    try {
      range = parseRange(c.req.header('range'), size)
    } catch (error) {
      return c.json({ error: 'range-not-satisfiable', message: (error as Error).message }, 416, {
        'content-range': `bytes */${size}`,
      })
    }
    const length = range ? range.end - range.start + 1 : size
    headers['content-length'] = String(length)
    if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`
    const status = range ? 206 : 200
    // HEAD is answered by this handler too (Hono runs GET): never open the file for it.
    if (c.req.method === 'HEAD' || length === 0) return c.body(null, status, headers)
    const stream = Readable.toWeb(blobs.read(blake3, range)) as ReadableStream
    return c.body(stream, status, headers)
  })

  app.put('/blobs', async (c) => {
    readQuery(c)
    const auth = checkUploadAuthorization(c.req.header('authorization'), {
      serverHost: options.serverHost,
    })
    const declared = c.req.header('content-length')
    if (declared !== undefined && Number(declared) > options.maxBlobBytes) {
      throw tooLarge(options.maxBlobBytes)
    }

    const body = c.env?.incoming ?? c.req.raw.body ?? []
    const digests = await blobs
      .write(body as AsyncIterable<Uint8Array>, (found) => {
        if (!auth.sha256.includes(found.sha256)) {
          throw new ValidationError(
            'body',
            `its SHA-256 ${found.sha256} is not named by an x tag of the authorization`,
          )
        }
      })
      .catch((error: unknown) => {
        // A client that hangs up mid-body is its own failure, not the server's.
        if (c.env?.incoming?.destroyed && !(error instanceof ArchyError)) {
          throw new ArchyError('aborted', 'body: the upload was cut off', { cause: error })
        }
        throw error
      })
    store.addBlob({
      ...digests,
      uploaded_by: auth.event.pubkey,
      created_at: new Date().toISOString(),
    })
    return c.json({ blake3: digests.blake3, sha256: digests.sha256, size: digests.size }, 201)
  })

  // Blobs are immutable: other methods are answered 405 with the ones that apply.
  app.on(['POST', 'PUT', 'DELETE', 'PATCH'], '/blobs/:blake3', (c) => {
    c.header('allow', 'GET, HEAD')
    throw methodNotAllowed(c.req.method, 'GET or HEAD')
  })
  app.on(['GET', 'POST', 'DELETE', 'PATCH'], '/blobs', (c) => {
    c.header('allow', 'PUT')
    throw methodNotAllowed(c.req.method, 'PUT')
  })
}

/**
 * One `bytes=a-b`, `bytes=a-` or `bytes=-n` range within `size`. Undefined (serve the whole blob)
 * when there is no Range header, several ranges, another unit or an invalid range: RFC 9110
 * §14.2 lets a server ignore such a header. Only a valid range past the end is unsatisfiable.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | undefined {
  if (header === undefined) return undefined
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!match) return undefined
  const [, first = '', last = ''] = match
  if (first === '' && last === '') return undefined
  if (first !== '' && last !== '' && Number(first) > Number(last)) return undefined
  const start = first === '' ? Math.max(0, size - Number(last)) : Number(first)
  const end = first === '' || last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (start >= size || (first === '' && Number(last) === 0)) {
    throw new ArchyError('range-not-satisfiable', `range: ${header} is outside the ${size} bytes`)
  }
  return { start, end }
}
