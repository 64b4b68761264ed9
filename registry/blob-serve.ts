// Sending a stored blob: conditional GET (304), ranges (206, multipart/byteranges for several,
// 416) and the whole blob, with immutable caching. Bytes go from the file straight to Node's
// response through reused buffers (file-sender.ts), bypassing web streams.
import { randomBytes } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import type { HttpBindings } from '@hono/node-server'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import type { Context } from 'hono'

import type { BlobStore } from './blob-store.js'
import { parseRangeHeader, passesIfRange, type ByteRange } from './byte-ranges.js'
import { matchesIfNoneMatch } from './http-conditional.js'
import { sendFilePieces, type SendPiece } from './file-sender.js'
import { CORS_HEADERS } from './http-cors.js'

export interface BlobToSend {
  blake3: string
  size: number
  type: string | null
}

type Part = { head: Buffer; range: ByteRange } | { head: Buffer; range?: undefined }

/**
 * Anyone with a Nostr key may upload, and a blob keeps the type its uploader declared, so an
 * HTML blob must never run as the registry's own site: no sniffing, and a sandbox with no
 * script, style or frame of its own.
 */
export const UNTRUSTED_CONTENT: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; sandbox",
  'x-content-type-options': 'nosniff',
}

/** Answers a GET or HEAD for `blob`, whose ETag is its BLAKE3 digest. */
export async function sendBlob(
  c: Context<{ Bindings: HttpBindings }>,
  blobs: BlobStore,
  blob: BlobToSend,
): Promise<Response> {
  const etag = `"${blob.blake3}"`
  const type = blob.type ?? 'application/octet-stream'
  const headers: Record<string, string> = {
    'cache-control': 'public, max-age=31536000, immutable',
    'accept-ranges': 'bytes',
    etag,
    ...UNTRUSTED_CONTENT,
  }
  if (matchesIfNoneMatch(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers)

  // RFC 9110 §14.2: Range applies to GET only; If-Range failing means the whole blob.
  const rangeHeader = c.req.method === 'GET' ? c.req.header('range') : undefined
  const answer = passesIfRange(c.req.header('if-range'), etag)
    ? parseRangeHeader(rangeHeader, blob.size)
    : { kind: 'whole' as const }
  if (answer.kind === 'unsatisfiable') {
    const message = `range: ${rangeHeader ?? ''} is outside the ${blob.size} bytes`
    return c.json({ error: 'range-not-satisfiable', message }, 416, {
      ...headers,
      'content-range': `bytes */${blob.size}`,
    })
  }

  let status: 200 | 206 = 200
  let parts: Part[] = [{ head: Buffer.alloc(0) }]
  let tail = Buffer.alloc(0)
  if (answer.kind === 'partial' && answer.ranges.length === 1) {
    const [range] = answer.ranges as [ByteRange]
    status = 206
    parts = [{ head: Buffer.alloc(0), range }]
    headers['content-range'] = `bytes ${range.start}-${range.end}/${blob.size}`
    headers['content-type'] = type
  } else if (answer.kind === 'partial') {
    // §14.6: each part carries its own Content-Type and Content-Range.
    const boundary = randomBytes(12).toString('hex')
    status = 206
    parts = answer.ranges.map((range) => ({
      range,
      head: Buffer.from(
        `\r\n--${boundary}\r\ncontent-type: ${type}\r\n` +
          `content-range: bytes ${range.start}-${range.end}/${blob.size}\r\n\r\n`,
      ),
    }))
    tail = Buffer.from(`\r\n--${boundary}--\r\n`)
    headers['content-type'] = `multipart/byteranges; boundary=${boundary}`
  } else {
    headers['content-type'] = type
  }
  const length = parts.reduce(
    (sum, part) => sum + part.head.length + (part.range ? rangeLength(part.range) : blob.size),
    tail.length,
  )
  headers['content-length'] = String(length)
  if (c.req.method === 'HEAD' || length === 0) return c.body(null, status, headers)

  const outgoing = c.env?.outgoing
  if (!outgoing) {
    // `app.request()` in tests has no Node response: the same bytes as a web stream.
    const stream = Readable.toWeb(Readable.from(readParts(blobs, blob.blake3, parts, tail)))
    return c.body(stream as ReadableStream, status, headers)
  }
  writeParts(outgoing, blobs, blob.blake3, { status, headers, parts, tail, size: blob.size })
  return RESPONSE_ALREADY_SENT
}

function rangeLength(range: ByteRange): number {
  return range.end - range.start + 1
}

/**
 * Writes the response on Node's own stream. Hono then sees RESPONSE_ALREADY_SENT, which
 * @hono/node-server honours only if no middleware touched `c.res` before the handler, so the
 * middleware of this app sets its headers afterwards (http-cors.ts) and CORS is added here.
 */
function writeParts(
  outgoing: ServerResponse,
  blobs: BlobStore,
  blake3: string,
  answer: {
    status: number
    headers: Record<string, string>
    parts: Part[]
    tail: Buffer
    size: number
  },
): void {
  outgoing.writeHead(answer.status, { ...CORS_HEADERS, ...answer.headers })
  const size = answer.size
  const pieces: SendPiece[] = answer.parts.flatMap((part) => [
    ...(part.head.length > 0 ? [part.head] : []),
    part.range ?? { start: 0, end: size - 1 },
  ])
  if (answer.tail.length > 0) pieces.push(answer.tail)
  void sendFilePieces(outgoing, blobs.pathOf(blake3), pieces)
}

async function* readParts(
  blobs: BlobStore,
  blake3: string,
  parts: Part[],
  tail: Buffer,
): AsyncGenerator<Buffer> {
  for (const part of parts) {
    if (part.head.length > 0) yield part.head
    for await (const chunk of blobs.read(blake3, part.range)) yield chunk as Buffer
  }
  if (tail.length > 0) yield tail
}
