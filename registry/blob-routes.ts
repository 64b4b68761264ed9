// Blob routes (DESIGN.md §4, "Artifacts"): `GET|HEAD /blobs/:blake3` with immutable caching and
// byte ranges (RFC 9110 §14), and `PUT /blobs` authorized by a Blossom kind 24242 event.
import type { HttpBindings } from '@hono/node-server'
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi'
import type { Context } from 'hono'

import { ArchyError } from '../src/errors.js'
import { Blake3Param, ErrorBody, UploadResult } from './api-schemas.js'
import type { Artifacts } from './artifacts.js'
import type { IndexedBlob } from './blob-index.js'
import type { BlobStore } from './blob-store.js'
import { sendBlob } from './blob-serve.js'
import { checkUploadAuthorization } from './blossom-auth.js'
import { answerOptions, methodNotAllowed, notFound } from './http-errors.js'
import { readQuery } from './http-query.js'

export interface BlobRoutesOptions {
  artifacts: Artifacts
  blobs: BlobStore
  /** The URL blob descriptors point at (BUD-02 `url`). */
  publicUrl: string
  /** This server's host name, checked against BUD-11 `server` tags. */
  serverHost?: string
}

export type RegistryApp = OpenAPIHono<{ Bindings: HttpBindings }>

const errors = (description: string): { description: string; content: object } => ({
  description,
  content: { 'application/json': { schema: ErrorBody } },
})

const getBlob = createRoute({
  method: 'get',
  path: '/blobs/{blake3}',
  summary: 'An artifact by BLAKE3 digest, with byte ranges and immutable caching',
  request: { params: Blake3Param },
  responses: {
    200: { description: 'The bytes', content: { 'application/octet-stream': { schema: {} } } },
    206: { description: 'The requested ranges (multipart/byteranges for several)' },
    304: { description: 'If-None-Match matched the digest' },
    400: errors('A bad digest or query'),
    404: errors('Not stored here'),
    416: errors('No requested range overlaps the blob'),
  },
})

const putBlob = createRoute({
  method: 'put',
  path: '/blobs',
  summary: 'Uploads an artifact; Authorization: Nostr <base64 kind 24242 event>',
  request: { body: { content: { 'application/octet-stream': { schema: {} } } } },
  responses: {
    201: {
      description: 'Stored, on disk under its digest',
      content: { 'application/json': { schema: UploadResult } },
    },
    400: errors('The body does not match the authorization, or was cut off'),
    401: errors('A missing, expired or wrongly scoped authorization'),
    413: errors('Over the size limit or the uploader’s quota'),
  },
})

/** Adds the blob routes to `app`. */
export function addBlobRoutes(app: RegistryApp, options: BlobRoutesOptions): void {
  const { artifacts, blobs } = options
  app.openAPIRegistry.registerPath({
    method: 'head',
    path: '/blobs/{blake3}',
    summary: 'An artifact by BLAKE3 digest: the headers of GET, no body',
    request: { params: Blake3Param },
    responses: {
      200: { description: 'Content-Length, ETag, Accept-Ranges; reasons in X-Reason' },
      206: { description: 'The headers of the requested range' },
      304: { description: 'If-None-Match matched the digest' },
      404: { description: 'Not stored here' },
    },
  })

  // HEAD is answered by the GET handler (Hono runs it), so it refuses the same queries.
  app.openapi(getBlob, async (c) => {
    readQuery(c)
    const { blake3 } = c.req.valid('param')
    const blob = await artifacts.findByBlake3(blake3)
    if (!blob) throw notFound(`blob ${blake3} is not stored here`)
    return sendBlob(c, blobs, blob)
  })

  app.openapi(putBlob, async (c) => {
    readQuery(c)
    const blob = await receiveUpload(c, options)
    return c.json(describeBlob(blob, options.publicUrl), 201)
  })

  // Blobs are immutable: other methods are answered 405 with the ones that apply.
  app.on(['POST', 'PUT', 'DELETE', 'PATCH'], '/blobs/:blake3', (c) => {
    c.header('allow', 'GET, HEAD')
    throw methodNotAllowed(c.req.method, 'GET or HEAD')
  })
  app.options('/blobs/:blake3', answerOptions('GET, HEAD'))
  app.on(['GET', 'POST', 'DELETE', 'PATCH'], '/blobs', (c) => {
    c.header('allow', 'PUT')
    throw methodNotAllowed(c.req.method, 'PUT')
  })
  app.options('/blobs', answerOptions('PUT'))
}

/** Checks the authorization and streams the body into the store (PUT /blobs, PUT /upload). */
export async function receiveUpload(
  c: Context<{ Bindings: HttpBindings }>,
  options: BlobRoutesOptions,
): Promise<IndexedBlob> {
  const auth = checkUploadAuthorization(c.req.header('authorization'), {
    serverHost: options.serverHost,
  })
  const declared = c.req.header('content-length')
  const body = c.env?.incoming ?? c.req.raw.body ?? []
  const type = readBlobType(c.req.header('content-type'))
  try {
    return await options.artifacts.upload({
      body: body as AsyncIterable<Uint8Array>,
      auth,
      declaredSize: declared === undefined ? undefined : Number(declared),
      type,
    })
  } catch (error) {
    // A client that hangs up mid-body is its own failure, not the server's.
    if (c.env?.incoming?.destroyed && !(error instanceof ArchyError)) {
      throw new ArchyError('aborted', 'body: the upload was cut off', { cause: error })
    }
    throw error
  }
}

// What HTML forms and `curl --data` send when nobody chose a type: never the blob's own type.
const FORM_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data'])
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/

/**
 * The type to store for an upload: the Content-Type a client gave (Blossom clients send the
 * blob's, BUD-02), lowercased without parameters; none (served as application/octet-stream) when
 * it is missing, a form encoding, octet-stream itself, or not a media type.
 */
export function readBlobType(header: string | undefined): string | undefined {
  const type = header?.split(';')[0]?.trim().toLowerCase()
  if (!type || !MEDIA_TYPE.test(type)) return undefined
  if (FORM_TYPES.has(type) || type === 'application/octet-stream') return undefined
  return type
}

/** A Blossom blob descriptor (BUD-02) with the artifact's BLAKE3. */
export function describeBlob(blob: IndexedBlob, publicUrl: string): Record<string, unknown> {
  return {
    blake3: blob.blake3,
    sha256: blob.sha256,
    size: blob.size,
    url: `${publicUrl}/${blob.sha256}`,
    ...(blob.type ? { type: blob.type } : {}),
    uploaded: blob.uploaded,
  }
}
