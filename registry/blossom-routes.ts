// Blossom compatibility (BUD-01, BUD-02): the artifact store's blobs addressed by SHA-256 at the
// root, `GET|HEAD /<sha256>[.ext]`, `PUT /upload`, `GET /list/<pubkey>` and `DELETE /<sha256>`,
// so existing Blossom clients can use a registry. The bytes are the same files as /blobs/.
import { z } from '@hono/zod-openapi'

import { ArchyError } from '../src/errors.js'
import {
  ErrorBody,
  ListQuery,
  PubkeyParam,
  SHA256_FILE_PATTERN,
  Sha256File,
  toValidationError,
  UploadRequirements,
  UploadResult,
} from './api-schemas.js'
import { sendBlob } from './blob-serve.js'
import {
  describeBlob,
  receiveUpload,
  type BlobRoutesOptions,
  type RegistryApp,
} from './blob-routes.js'
import { checkBlossomAuthorization } from './blossom-auth.js'
import { answerOptions, methodNotAllowed, notFound } from './http-errors.js'
import { readQuery } from './http-query.js'

const errors = { 'application/json': { schema: ErrorBody } }
// Hono matches the pattern itself, so `/healthz` and the page at `/` never reach these routes.
const BLOB_PATH = `/:sha256{${SHA256_FILE_PATTERN}}`

/** Adds the Blossom routes to `app` and documents them in its OpenAPI registry. */
export function addBlossomRoutes(app: RegistryApp, options: BlobRoutesOptions): void {
  const { artifacts, blobs } = options
  documentRoutes(app)

  // HEAD is answered here too (Hono runs GET for it), with headers only.
  app.get(BLOB_PATH, async (c) => {
    readQuery(c)
    const sha256 = parseSha256(c.req.param('sha256'))
    const blob = artifacts.findBySha256(sha256)
    if (!blob) throw notFound(`blob with SHA-256 ${sha256} is not stored here`)
    return sendBlob(c, blobs, blob)
  })

  app.delete(BLOB_PATH, async (c) => {
    readQuery(c)
    const sha256 = parseSha256(c.req.param('sha256'))
    const auth = checkBlossomAuthorization(c.req.header('authorization'), 'delete', {
      serverHost: options.serverHost,
    })
    // BUD-02: only the blob in the URL, whatever other x tags the event has.
    if (!auth.sha256.includes(sha256)) {
      throw new ArchyError('unauthorized', `authorization: no x tag names ${sha256}`)
    }
    const blob = artifacts.findBySha256(sha256)
    if (!blob) throw notFound(`blob with SHA-256 ${sha256} is not stored here`)
    if (!artifacts.isOwner(blob.blake3, auth.event.pubkey)) {
      throw new ArchyError('forbidden', `${auth.event.pubkey} did not upload blob ${sha256}`)
    }
    const { deleted } = await artifacts.remove(blob.blake3, auth.event.pubkey)
    return c.json({ sha256, deleted })
  })

  app.put('/upload', async (c) => {
    readQuery(c)
    const blob = await receiveUpload(c, options)
    return c.json(describeBlob(blob, options.publicUrl), 201)
  })

  app.get('/list/:pubkey', (c) => {
    readQuery(c, ['since', 'until'])
    const { pubkey } = parse(PubkeyParam, { pubkey: c.req.param('pubkey') })
    const window = parse(ListQuery, c.req.query())
    const owned = artifacts.listOwnedBy(pubkey, window)
    return c.json(owned.map((blob) => describeBlob(blob, options.publicUrl)))
  })

  app.on(['POST', 'PUT', 'PATCH'], BLOB_PATH, (c) => {
    c.header('allow', 'GET, HEAD, DELETE')
    throw methodNotAllowed(c.req.method, 'GET, HEAD or DELETE')
  })
  app.options(BLOB_PATH, answerOptions('GET, HEAD, DELETE'))
  // Hono answers HEAD with the GET handler: HEAD is BUD-06's "may I upload this?".
  app.get('/upload', (c) => {
    if (c.req.method !== 'HEAD') {
      c.header('allow', 'PUT, HEAD')
      throw methodNotAllowed(c.req.method, 'PUT or HEAD')
    }
    readQuery(c)
    const wanted = parse(UploadRequirements, {
      'x-sha-256': c.req.header('x-sha-256'),
      'x-content-length': c.req.header('x-content-length'),
    })
    const sha256 = wanted['x-sha-256']
    const size = wanted['x-content-length']
    const header = c.req.header('authorization')
    const auth = header
      ? checkBlossomAuthorization(header, 'upload', { serverHost: options.serverHost })
      : undefined
    if (auth && !auth.sha256.includes(sha256)) {
      throw new ArchyError('unauthorized', `authorization: no x tag names ${sha256}`)
    }
    artifacts.checkUpload(size, sha256, auth?.event.pubkey)
    return c.body(null, 200)
  })
  app.on(['POST', 'DELETE', 'PATCH'], '/upload', (c) => {
    c.header('allow', 'PUT, HEAD')
    throw methodNotAllowed(c.req.method, 'PUT or HEAD')
  })
  app.options('/upload', answerOptions('PUT, HEAD'))
  app.options('/list/:pubkey', answerOptions('GET, HEAD'))
}

function parseSha256(file: string): string {
  return parse(Sha256File, file).slice(0, 64)
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value)
  if (!result.success) throw toValidationError(result.error)
  return result.data
}

/** The routes above in `/v1/openapi.json`, from the schemas they parse with. */
function documentRoutes(app: RegistryApp): void {
  const params = z.object({ sha256: Sha256File })
  const registry = app.openAPIRegistry
  registry.registerPath({
    method: 'get',
    path: '/{sha256}',
    summary: 'A blob by SHA-256, optionally with a file extension (BUD-01); HEAD too',
    request: { params },
    responses: {
      200: { description: 'The bytes; ranges as on /blobs/{blake3}' },
      404: { description: 'Not stored here', content: errors },
    },
  })
  registry.registerPath({
    method: 'head',
    path: '/{sha256}',
    summary: 'A blob by SHA-256 (BUD-01): the headers of GET, no body',
    request: { params },
    responses: {
      200: { description: 'Content-Type, Content-Length, ETag; reasons in X-Reason' },
      404: { description: 'Not stored here' },
    },
  })
  registry.registerPath({
    method: 'delete',
    path: '/{sha256}',
    summary: "Drops the uploader's claim (BUD-02); the bytes stay while a release names them",
    request: { params },
    responses: {
      200: { description: 'Claim dropped; `deleted` says whether the bytes went too' },
      401: { description: 'A missing or wrongly scoped authorization', content: errors },
      403: { description: 'The signer did not upload this blob', content: errors },
      404: { description: 'Not stored here', content: errors },
    },
  })
  registry.registerPath({
    method: 'put',
    path: '/upload',
    summary: 'Uploads a blob (BUD-02), as PUT /blobs does',
    responses: {
      201: { description: 'Stored', content: { 'application/json': { schema: UploadResult } } },
      401: { description: 'A missing or wrongly scoped authorization', content: errors },
      413: { description: 'Over the size limit or quota', content: errors },
    },
  })
  registry.registerPath({
    method: 'head',
    path: '/upload',
    summary: 'Whether an upload would be accepted (BUD-06); the reason in X-Reason',
    request: { headers: UploadRequirements },
    responses: {
      200: { description: 'It would be' },
      400: { description: 'Missing or bad X-SHA-256 or X-Content-Length' },
      401: { description: 'A bad authorization, when one is sent' },
      413: { description: 'Over the size limit or the signer’s quota' },
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/list/{pubkey}',
    summary: 'Blobs a public key uploaded, newest first (BUD-02)',
    request: { params: PubkeyParam, query: ListQuery },
    responses: {
      200: {
        description: 'Blob descriptors',
        content: { 'application/json': { schema: z.array(UploadResult) } },
      },
      400: { description: 'A bad public key or time', content: errors },
    },
  })
}
