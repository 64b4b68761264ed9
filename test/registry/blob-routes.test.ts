// Blob routes over real HTTP: Blossom-authorized uploads that land on disk only when whole and
// matching, GET/HEAD with immutable caching, byte ranges (one, several, If-Range), CORS, and
// every refusal as JSON.
import { createHash, randomBytes } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { digestBytes } from '../../src/digest/blake3.js'
import { generateNostrKeys } from '../../src/identity/nostr-keys.js'
import { signNostrEvent } from '../../src/nostr/event.js'
import { makeDataDir, startTestNode, waitFor, type TestNode } from './harness.js'

const MAX_BYTES = 64 * 1024
const uploader = generateNostrKeys()
const now = (): number => Math.floor(Date.now() / 1000)

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** `Nostr <base64 event>` for a kind 24242 event; `overrides` bend one rule at a time. */
function authorization(
  x: string[],
  overrides: { kind?: number; t?: string; expiration?: number | null; createdAt?: number } = {},
): string {
  const tags = [['t', overrides.t ?? 'upload'], ...x.map((digest) => ['x', digest])]
  if (overrides.expiration !== null) {
    tags.push(['expiration', String(overrides.expiration ?? now() + 600)])
  }
  const event = signNostrEvent(
    {
      kind: overrides.kind ?? 24242,
      created_at: overrides.createdAt ?? now() - 5,
      tags,
      content: 'Upload',
    },
    uploader.secretKey,
  )
  return 'Nostr ' + Buffer.from(JSON.stringify(event)).toString('base64')
}

describe('blob routes', () => {
  const data = makeDataDir()
  let node: TestNode
  const body = randomBytes(10_000)
  let blake3: string

  beforeAll(async () => {
    node = await startTestNode(data.dir, { maxBlobBytes: MAX_BYTES })
    blake3 = (await digestBytes(body)).blake3
  })
  afterAll(async () => {
    await node.close()
    data.remove()
  })

  /** Every file under the blob directory, relative, the temp directory included. */
  function blobFiles(): string[] {
    return readdirSync(join(data.dir, 'blobs'), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(data.dir.length + 7))
  }

  function put(
    payload: Uint8Array<ArrayBuffer>,
    auth?: string,
    init: RequestInit = {},
  ): Promise<Response> {
    const headers: Record<string, string> = auth ? { authorization: auth } : {}
    return fetch(node.url + '/blobs', { method: 'PUT', body: payload, headers, ...init })
  }

  it('stores an authorized upload under its BLAKE3 and answers 201 with both digests', async () => {
    const response = await put(body, authorization([sha256(body)]))
    expect(response.status).toBe(201)
    expect(await response.json()).toEqual({
      blake3,
      sha256: sha256(body),
      size: body.length,
      url: `${node.url}/${sha256(body)}`,
      uploaded: expect.any(Number),
    })
    expect(blobFiles()).toEqual([`${blake3.slice(0, 2)}/${blake3}`])
  })

  it('accepts the same blob again without a second copy', async () => {
    const response = await put(body, authorization([sha256(body)]))
    expect(response.status).toBe(201)
    expect(blobFiles()).toEqual([`${blake3.slice(0, 2)}/${blake3}`])
  })

  it('serves the blob with length, immutable caching and its digest as ETag', async () => {
    const response = await fetch(`${node.url}/blobs/${blake3}`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-length')).toBe(String(body.length))
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(response.headers.get('etag')).toBe(`"${blake3}"`)
    expect(Buffer.from(await response.arrayBuffer()).equals(body)).toBe(true)
  })

  it.each(['*', '"other", W/"BLAKE3"', 'W/"BLAKE3"'])(
    'answers If-None-Match: %s with 304 and no body',
    async (header) => {
      const response = await fetch(`${node.url}/blobs/${blake3}`, {
        headers: { 'if-none-match': header.replace('BLAKE3', blake3) },
      })
      expect(response.status).toBe(304)
      expect(response.headers.get('etag')).toBe(`"${blake3}"`)
      expect((await response.arrayBuffer()).byteLength).toBe(0)
    },
  )

  it('answers If-None-Match: * for a blob it does not hold with 404', async () => {
    const response = await fetch(`${node.url}/blobs/${'b'.repeat(64)}`, {
      headers: { 'if-none-match': '*' },
    })
    expect(response.status).toBe(404)
  })

  it('answers HEAD with the headers and no body', async () => {
    const response = await fetch(`${node.url}/blobs/${blake3}`, { method: 'HEAD' })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-length')).toBe(String(body.length))
    expect((await response.arrayBuffer()).byteLength).toBe(0)
  })

  it.each([
    ['bytes=0-99', 0, 99],
    ['bytes=9990-', 9990, 9999],
    ['bytes=-10', 9990, 9999],
    ['bytes=5000-20000', 5000, 9999],
  ])('serves the single range %s as 206', async (range, start, end) => {
    const response = await fetch(`${node.url}/blobs/${blake3}`, { headers: { range } })
    expect(response.status).toBe(206)
    expect(response.headers.get('content-range')).toBe(`bytes ${start}-${end}/${body.length}`)
    const bytes = Buffer.from(await response.arrayBuffer())
    expect(bytes.equals(body.subarray(start, end + 1))).toBe(true)
  })

  it.each(['bytes=50-10', 'bytes=-', 'items=0-1', 'bytes=abc', 'bytes=0-1,x', 'bytes=0-1,-'])(
    'ignores the invalid range %s and serves the whole blob (RFC 9110 §14.2)',
    async (range) => {
      const response = await fetch(`${node.url}/blobs/${blake3}`, { headers: { range } })
      expect(response.status).toBe(200)
      expect(Buffer.from(await response.arrayBuffer()).equals(body)).toBe(true)
    },
  )

  it('serves several ranges as multipart/byteranges, merging overlaps (RFC 9110 §14.6)', async () => {
    const range = 'bytes=0-9, 5-19, 100-109, -5'
    const response = await fetch(`${node.url}/blobs/${blake3}`, { headers: { range } })
    expect(response.status).toBe(206)
    const type = response.headers.get('content-type') ?? ''
    const boundary = /^multipart\/byteranges; boundary=(\S+)$/.exec(type)?.[1]
    expect(boundary).toBeDefined()
    const bytes = Buffer.from(await response.arrayBuffer())
    expect(response.headers.get('content-length')).toBe(String(bytes.length))

    const parts = bytes.toString('latin1').split(`--${boundary}`).slice(1, -1)
    const expected = [
      [0, 19],
      [100, 109],
      [9995, 9999],
    ]
    expect(parts).toHaveLength(expected.length)
    parts.forEach((part, i) => {
      const [start, end] = expected[i]!
      const [head, payload] = part.split('\r\n\r\n') as [string, string]
      expect(head).toContain(`content-range: bytes ${start}-${end}/${body.length}`)
      expect(head).toContain('content-type: application/octet-stream')
      const slice = Buffer.from(payload.slice(0, end! - start! + 1), 'latin1')
      expect(slice.equals(body.subarray(start, end! + 1))).toBe(true)
    })
    expect(bytes.toString('latin1').endsWith(`\r\n--${boundary}--\r\n`)).toBe(true)
  })

  it('honours a Range whose If-Range is the current ETag, and sends it all otherwise', async () => {
    const url = `${node.url}/blobs/${blake3}`
    const headers = { range: 'bytes=0-9', 'if-range': `"${blake3}"` }
    const matching = await fetch(url, { headers })
    expect(matching.status).toBe(206)
    expect((await matching.arrayBuffer()).byteLength).toBe(10)

    for (const ifRange of [
      `"${'c'.repeat(64)}"`,
      `W/"${blake3}"`,
      'Tue, 01 Dec 2026 00:00:00 GMT',
    ]) {
      const stale = await fetch(url, { headers: { ...headers, 'if-range': ifRange } })
      expect(stale.status).toBe(200)
      expect(Buffer.from(await stale.arrayBuffer()).equals(body)).toBe(true)
    }
  })

  it('ignores more than 32 ranges and serves the whole blob', async () => {
    const ranges = Array.from({ length: 33 }, (_, i) => `${i * 10}-${i * 10 + 1}`).join(',')
    const response = await fetch(`${node.url}/blobs/${blake3}`, {
      headers: { range: `bytes=${ranges}` },
    })
    expect(response.status).toBe(200)
    expect((await response.arrayBuffer()).byteLength).toBe(body.length)
  })

  it('answers blob reads and errors with CORS headers, and preflights with 204', async () => {
    const read = await fetch(`${node.url}/blobs/${blake3}`)
    expect(read.headers.get('access-control-allow-origin')).toBe('*')
    await read.arrayBuffer()
    const missing = await fetch(`${node.url}/blobs/${'b'.repeat(64)}`)
    expect(missing.headers.get('access-control-allow-origin')).toBe('*')

    const preflight = await fetch(`${node.url}/upload`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT')
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Authorization')
  })

  it.each(['bytes=10000-', 'bytes=20000-30000', 'bytes=-0', 'bytes=20000-, 30000-'])(
    'refuses the unsatisfiable range %s with 416',
    async (range) => {
      const response = await fetch(`${node.url}/blobs/${blake3}`, { headers: { range } })
      expect(response.status).toBe(416)
      expect(response.headers.get('content-range')).toBe(`bytes */${body.length}`)
      expect(await response.json()).toMatchObject({ error: 'range-not-satisfiable' })
    },
  )

  it.each([
    ['GET', '?x=1', 'x: is not a query parameter of GET /blobs/:blake3; it takes none'],
    ['GET', '?x', 'x: is not a query parameter of GET /blobs/:blake3; it takes none'],
    ['HEAD', '?x=1', undefined],
  ])('refuses %s of a blob with the query %s as 400 naming it', async (method, query, message) => {
    const response = await fetch(`${node.url}/blobs/${blake3}${query}`, { method })
    expect(response.status).toBe(400)
    if (message) expect(await response.json()).toEqual({ error: 'invalid', message })
  })

  it.each(['?x=1', '?x=1&x=2'])(
    'refuses an upload with the query %s as 400, leaving nothing new on disk',
    async (query) => {
      const before = blobFiles()
      const other = randomBytes(3000)
      const response = await fetch(`${node.url}/blobs${query}`, {
        method: 'PUT',
        body: other,
        headers: { authorization: authorization([sha256(other)]) },
      })
      expect(response.status).toBe(400)
      expect(await response.json()).toEqual({
        error: 'invalid',
        message: 'x: is not a query parameter of PUT /blobs; it takes none',
      })
      expect(blobFiles()).toEqual(before)
    },
  )

  it.each([
    ['DELETE', `/blobs/${'a'.repeat(64)}`, 'GET, HEAD'],
    ['POST', '/blobs', 'PUT'],
  ])('answers %s %s with 405 and Allow', async (method, path, allow) => {
    const response = await fetch(`${node.url}${path}`, { method })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe(allow)
    expect(await response.json()).toMatchObject({ error: 'method-not-allowed' })
  })

  it('refuses a body whose SHA-256 is not an x tag, leaving nothing on disk', async () => {
    const before = blobFiles()
    const other = randomBytes(5000)
    const response = await put(other, authorization([sha256(body)]))
    expect(response.status).toBe(400)
    const error = (await response.json()) as { error: string; message: string }
    expect(error.error).toBe('invalid')
    expect(error.message).toMatch(/^body: its SHA-256 [0-9a-f]{64} is not named by an x tag/)
    expect(blobFiles()).toEqual(before)
    const digest = (await digestBytes(other)).blake3
    expect((await fetch(`${node.url}/blobs/${digest}`)).status).toBe(404)
  })

  it.each<[string, () => string | undefined, RegExp]>([
    ['no Authorization header', () => undefined, /^authorization: missing/],
    ['another scheme', () => 'Bearer abc', /must be "Nostr <base64 event>"/],
    [
      'base64 of no JSON',
      () => 'Nostr ' + Buffer.from('{oops').toString('base64'),
      /not base64 of a JSON event/,
    ],
    [
      'a bad signature',
      () => {
        const good = JSON.parse(
          Buffer.from(authorization(['a'.repeat(64)]).slice(6), 'base64').toString(),
        )
        good.sig = '0'.repeat(128)
        return 'Nostr ' + Buffer.from(JSON.stringify(good)).toString('base64')
      },
      /event\.sig: signature does not verify/,
    ],
    ['the wrong kind', () => authorization([sha256(body)], { kind: 1 }), /kind must be 24242/],
    [
      'a t tag other than upload',
      () => authorization([sha256(body)], { t: 'delete' }),
      /t tag must be "upload"/,
    ],
    [
      'no expiration',
      () => authorization([sha256(body)], { expiration: null }),
      /needs an expiration tag/,
    ],
    [
      'an expiration in the past',
      () => authorization([sha256(body)], { expiration: now() - 1 }),
      /has expired/,
    ],
    [
      'a created_at in the future',
      () => authorization([sha256(body)], { createdAt: now() + 3600 }),
      /created_at is in the future/,
    ],
    ['no x tag', () => authorization([]), /needs an x tag/],
  ])('refuses an upload with %s as 401', async (_name, makeAuth, message) => {
    const before = blobFiles()
    const response = await put(body, makeAuth())
    expect(response.status).toBe(401)
    const error = (await response.json()) as { error: string; message: string }
    expect(error.error).toBe('unauthorized')
    expect(error.message).toMatch(message)
    expect(blobFiles()).toEqual(before)
  })

  it('refuses a body over the size limit with 413, leaving nothing on disk', async () => {
    const before = blobFiles()
    const large = randomBytes(MAX_BYTES + 1)
    const response = await put(large, authorization([sha256(large)]))
    expect(response.status).toBe(413)
    expect(await response.json()).toMatchObject({ error: 'too-large' })
    expect(blobFiles()).toEqual(before)
  })

  it('refuses a streamed body that grows past the limit with 413, leaving nothing on disk', async () => {
    const before = blobFiles()
    const chunk = randomBytes(16 * 1024)
    const chunks = 6
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled++ < chunks) controller.enqueue(chunk)
        else controller.close()
      },
    })
    let pulled = 0
    const response = await put(new Uint8Array(), authorization(['a'.repeat(64)]), {
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(response.status).toBe(413)
    expect(blobFiles()).toEqual(before)
  })

  it('survives an upload cut off mid-stream, leaving nothing on disk', async () => {
    const before = blobFiles()
    const upload = request(node.url + '/blobs', {
      method: 'PUT',
      headers: { authorization: authorization(['a'.repeat(64)]), 'content-length': '50000' },
    })
    upload.on('error', () => {})
    upload.write(randomBytes(20_000))
    await new Promise((resolve) => setTimeout(resolve, 100))
    upload.destroy()
    await waitFor(() => (blobFiles().join() === before.join() ? true : undefined))
    expect((await node.getJson('/healthz')).status).toBe(200)
  })
})
