// Blossom compatibility over real HTTP (BUD-01, BUD-02): a client uploads at PUT /upload and
// fetches by SHA-256, lists and deletes its blobs; scopes, expiry and quotas are enforced, and a
// refused upload leaves nothing on disk.
import { createHash, randomBytes } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { digestBytes } from '../../src/digest/blake3.js'
import { generateNostrKeys } from '../../src/identity/nostr-keys.js'
import { blossomHeader } from './blossom-header.js'
import { makeDataDir, startTestNode, type TestNode } from './harness.js'

const QUOTA = 40_000
const alice = generateNostrKeys()
const bob = generateNostrKeys()
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

describe('Blossom routes', () => {
  const data = makeDataDir()
  let node: TestNode

  beforeAll(async () => {
    node = await startTestNode(data.dir, { maxBlobBytes: 30_000, blobQuotaBytes: QUOTA })
  })
  afterAll(async () => {
    await node.close()
    data.remove()
  })

  function blobFiles(): string[] {
    return readdirSync(join(data.dir, 'blobs'), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .sort()
  }

  function upload(body: Uint8Array<ArrayBuffer>, auth: string, type?: string): Promise<Response> {
    const headers: Record<string, string> = { authorization: auth }
    if (type) headers['content-type'] = type
    return fetch(`${node.url}/upload`, { method: 'PUT', body, headers })
  }

  it('uploads at PUT /upload and serves the same bytes at GET /<sha256>', async () => {
    const body = randomBytes(12_000)
    const digest = sha256(body)
    const response = await upload(
      body,
      blossomHeader(alice.secretKey, 'upload', [digest]),
      'image/png',
    )
    expect(response.status).toBe(201)
    const descriptor = (await response.json()) as Record<string, unknown>
    expect(descriptor).toEqual({
      url: `${node.url}/${digest}`,
      sha256: digest,
      size: body.length,
      type: 'image/png',
      uploaded: expect.any(Number),
      blake3: (await digestBytes(body)).blake3,
    })

    for (const path of [`/${digest}`, `/${digest}.png`]) {
      const read = await fetch(node.url + path)
      expect(read.status).toBe(200)
      expect(read.headers.get('content-type')).toBe('image/png')
      expect(Buffer.from(await read.arrayBuffer()).equals(body)).toBe(true)
    }
    const head = await fetch(`${node.url}/${digest}.bin`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe(String(body.length))

    const part = await fetch(`${node.url}/${digest}`, { headers: { range: 'bytes=100-199' } })
    expect(part.status).toBe(206)
    expect(Buffer.from(await part.arrayBuffer()).equals(body.subarray(100, 200))).toBe(true)

    // The same blob under its BLAKE3, as an agent fetches it.
    const byBlake3 = await fetch(`${node.url}/blobs/${descriptor.blake3 as string}`)
    expect(Buffer.from(await byBlake3.arrayBuffer()).equals(body)).toBe(true)
  })

  it('serves an uploaded HTML blob sandboxed: it never runs as the registry site', async () => {
    const body = Buffer.from('<html><script>document.write(document.domain)</script></html>')
    const digest = sha256(body)
    const auth = blossomHeader(bob.secretKey, 'upload', [digest])
    expect((await upload(body, auth, 'text/html')).status).toBe(201)
    const blake3 = (await digestBytes(body)).blake3
    for (const path of [`/${digest}.html`, `/${digest}`, `/blobs/${blake3}`]) {
      for (const method of ['GET', 'HEAD']) {
        const read = await fetch(node.url + path, { method })
        expect(read.status).toBe(200)
        expect(read.headers.get('content-type')).toBe('text/html')
        expect(read.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox")
        expect(read.headers.get('x-content-type-options')).toBe('nosniff')
      }
    }
    const ranged = await fetch(`${node.url}/${digest}`, { headers: { range: 'bytes=0-5' } })
    expect(ranged.status).toBe(206)
    expect(ranged.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox")
    const deletion = blossomHeader(bob.secretKey, 'delete', [digest])
    const removed = await fetch(`${node.url}/${digest}`, {
      method: 'DELETE',
      headers: { authorization: deletion },
    })
    expect(removed.status).toBe(200)
  })

  it('answers 404 for a SHA-256 it does not hold, and leaves other paths to other routes', async () => {
    const missing = await fetch(`${node.url}/${'e'.repeat(64)}`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ error: 'not-found' })
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200)
    const short = await fetch(`${node.url}/${'e'.repeat(63)}`)
    expect(short.status).toBe(404)
  })

  it('refuses a body whose SHA-256 the event does not name, leaving nothing on disk', async () => {
    const before = blobFiles()
    const body = randomBytes(5000)
    const auth = blossomHeader(alice.secretKey, 'upload', [sha256(randomBytes(10))])
    const response = await upload(body, auth)
    expect(response.status).toBe(400)
    expect(((await response.json()) as { message: string }).message).toMatch(/not named by an x/)
    expect(blobFiles()).toEqual(before)
    expect(readdirSync(join(data.dir, 'blobs', '.tmp'))).toEqual([])
  })

  it.each<[string, () => string, RegExp]>([
    [
      'an expired event',
      () => blossomHeader(alice.secretKey, 'upload', [sha256(Buffer.from('x'))], { expiration: 1 }),
      /has expired/,
    ],
    [
      'a delete event',
      () => blossomHeader(alice.secretKey, 'delete', [sha256(Buffer.from('x'))]),
      /t tag must be "upload"/,
    ],
    [
      'a server tag naming another server',
      () =>
        blossomHeader(alice.secretKey, 'upload', [sha256(Buffer.from('x'))], {
          server: 'cdn.example',
        }),
      /server tags do not name 127\.0\.0\.1/,
    ],
  ])('refuses an upload authorized by %s as 401', async (_name, auth, message) => {
    const before = blobFiles()
    const response = await upload(Buffer.from('x'), auth())
    expect(response.status).toBe(401)
    expect(((await response.json()) as { message: string }).message).toMatch(message)
    expect(blobFiles()).toEqual(before)
  })

  it('enforces the per-uploader quota, counting a re-upload of a held blob as free', async () => {
    const first = randomBytes(20_000)
    const auth = (body: Uint8Array): string =>
      blossomHeader(bob.secretKey, 'upload', [sha256(body)])
    expect((await upload(first, auth(first))).status).toBe(201)
    expect((await upload(first, auth(first))).status).toBe(201)

    const second = randomBytes(25_000)
    const before = blobFiles()
    const refused = await upload(second, auth(second))
    expect(refused.status).toBe(413)
    const error = (await refused.json()) as { error: string; message: string }
    expect(error.error).toBe('quota-exceeded')
    expect(error.message).toContain(`holds 20000 of its ${QUOTA} bytes`)
    expect(blobFiles()).toEqual(before)

    // Another uploader has its own quota.
    expect(
      (await upload(second, blossomHeader(alice.secretKey, 'upload', [sha256(second)]))).status,
    ).toBe(201)
  })

  it('lists what a public key uploaded, newest first, within since and until', async () => {
    const response = await fetch(`${node.url}/list/${bob.pubkey}`)
    expect(response.status).toBe(200)
    const list = (await response.json()) as { sha256: string; size: number; uploaded: number }[]
    expect(list.map((blob) => blob.size)).toEqual([20_000])
    const uploaded = list[0]!.uploaded
    const empty = await fetch(`${node.url}/list/${bob.pubkey}?since=${uploaded + 1}`)
    expect(await empty.json()).toEqual([])
    const kept = await fetch(`${node.url}/list/${bob.pubkey}?until=${uploaded}`)
    expect(await kept.json()).toHaveLength(1)

    const bad = await fetch(`${node.url}/list/${bob.pubkey}?since=yesterday`)
    expect(bad.status).toBe(400)
    expect(await bad.json()).toEqual({
      error: 'invalid',
      message: 'since: must be a Unix time in seconds',
    })
    const npub = await fetch(`${node.url}/list/npub1xyz`)
    expect(npub.status).toBe(400)
  })

  it('deletes a blob only for its uploader, with a delete event naming it', async () => {
    const body = randomBytes(3000)
    const digest = sha256(body)
    const blake3 = (await digestBytes(body)).blake3
    await upload(body, blossomHeader(alice.secretKey, 'upload', [digest]))
    const remove = (auth: string): Promise<Response> =>
      fetch(`${node.url}/${digest}`, { method: 'DELETE', headers: { authorization: auth } })

    const wrongVerb = await remove(blossomHeader(alice.secretKey, 'upload', [digest]))
    expect(wrongVerb.status).toBe(401)
    const otherBlob = await remove(blossomHeader(alice.secretKey, 'delete', ['0'.repeat(64)]))
    expect(otherBlob.status).toBe(401)
    const notOwner = await remove(blossomHeader(bob.secretKey, 'delete', [digest]))
    expect(notOwner.status).toBe(403)
    expect(blobFiles()).toContain(blake3)

    const deleted = await remove(blossomHeader(alice.secretKey, 'delete', [digest]))
    expect(deleted.status).toBe(200)
    expect(await deleted.json()).toEqual({ sha256: digest, deleted: true })
    expect(blobFiles()).not.toContain(blake3)
    expect((await fetch(`${node.url}/${digest}`)).status).toBe(404)
  })

  it.each<[string, () => Record<string, string>, number, RegExp]>([
    [
      'an upload that fits',
      () => ({ 'x-sha-256': 'a'.repeat(64), 'x-content-length': '10' }),
      200,
      /^$/,
    ],
    ['no X-SHA-256', () => ({ 'x-content-length': '10' }), 400, /^x-sha-256: is required/],
    [
      'a bad size',
      () => ({ 'x-sha-256': 'a'.repeat(64), 'x-content-length': '1e3' }),
      400,
      /^x-content-length: must be a size/,
    ],
    [
      'a blob over the limit',
      () => ({ 'x-sha-256': 'a'.repeat(64), 'x-content-length': '30001' }),
      413,
      /larger than the limit of 30000/,
    ],
    [
      "a blob past the signer's quota",
      () => ({
        'x-sha-256': 'a'.repeat(64),
        'x-content-length': '25000',
        authorization: blossomHeader(bob.secretKey, 'upload', ['a'.repeat(64)]),
      }),
      413,
      /holds 20000 of its 40000 bytes/,
    ],
    [
      'an authorization for another blob',
      () => ({
        'x-sha-256': 'a'.repeat(64),
        'x-content-length': '10',
        authorization: blossomHeader(bob.secretKey, 'upload', ['b'.repeat(64)]),
      }),
      401,
      /no x tag names a{64}/,
    ],
  ])(
    'answers HEAD /upload for %s (BUD-06), the reason in X-Reason',
    async (_name, headers, status, reason) => {
      const response = await fetch(`${node.url}/upload`, { method: 'HEAD', headers: headers() })
      expect(response.status).toBe(status)
      expect(response.headers.get('x-reason') ?? '').toMatch(reason)
    },
  )

  it('answers other methods on Blossom paths with 405 and Allow', async () => {
    const put = await fetch(`${node.url}/${'a'.repeat(64)}`, { method: 'PUT' })
    expect(put.status).toBe(405)
    expect(put.headers.get('allow')).toBe('GET, HEAD, DELETE')
    const get = await fetch(`${node.url}/upload`)
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('PUT, HEAD')
  })
})
