// The catalog's compressed forms over real HTTP: Brotli or gzip by Accept-Encoding, each with its
// own ETag and Vary, the same signed bytes once decoded, and 304 for any form a client holds.
import { get } from 'node:http'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { chooseEncoding } from '../../registry/catalog-encoding.js'
import { makeDataDir, startTestNode, type TestNode } from './harness.js'

describe('chooseEncoding', () => {
  it.each<[string | undefined, string]>([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip, deflate, br', 'br'],
    ['gzip', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['gzip;q=1.0, br;q=0.5', 'gzip'],
    ['*', 'br'],
    ['*;q=0', 'identity'],
    ['deflate', 'identity'],
    ['GZIP ; q=0.8', 'gzip'],
  ])('picks for %j: %s', (header, expected) => {
    expect(chooseEncoding(header)).toBe(expected)
  })
})

interface RawAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

/** GET without any automatic decoding, so the bytes on the wire are what the test sees. */
function getRaw(url: string, headers: Record<string, string>): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks),
        }),
      )
    }).on('error', reject)
  })
}

describe('GET /v1/catalog compression', () => {
  const data = makeDataDir()
  let node: TestNode
  let plain: RawAnswer

  beforeAll(async () => {
    node = await startTestNode(data.dir)
    plain = await getRaw(`${node.url}/v1/catalog`, {})
  })
  afterAll(async () => {
    await node.close()
    data.remove()
  })

  it('serves the identity form without Accept-Encoding, varying by it', () => {
    expect(plain.status).toBe(200)
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(plain.headers.vary).toBe('Accept-Encoding')
    expect(plain.headers.etag).toMatch(/^"[0-9a-f]{64}"$/)
    expect(JSON.parse(plain.body.toString())).toMatchObject({ type: 'ArchipelagoCatalog' })
  })

  it.each<[string, string, (body: Buffer) => Buffer]>([
    ['br', 'gzip, deflate, br', brotliDecompressSync],
    ['gzip', 'gzip', gunzipSync],
  ])('serves %s that decodes to the same signed bytes', async (encoding, accept, decode) => {
    const answer = await getRaw(`${node.url}/v1/catalog`, { 'accept-encoding': accept })
    expect(answer.status).toBe(200)
    expect(answer.headers['content-encoding']).toBe(encoding)
    expect(answer.headers.etag).toBe(`${plain.headers.etag!.slice(0, -1)}-${encoding}"`)
    expect(Number(answer.headers['content-length'])).toBe(answer.body.length)
    expect(decode(answer.body).equals(plain.body)).toBe(true)
  })

  it('answers 304 for the ETag of any form the client holds', async () => {
    const gzipTag = `${plain.headers.etag!.slice(0, -1)}-gzip"`
    for (const [accept, held] of [
      ['br', gzipTag],
      ['', plain.headers.etag as string],
      ['gzip', `W/${plain.headers.etag as string}`],
    ] as const) {
      const answer = await getRaw(`${node.url}/v1/catalog`, {
        'accept-encoding': accept,
        'if-none-match': held,
      })
      expect(answer.status).toBe(304)
      expect(answer.body.length).toBe(0)
    }
    const other = await getRaw(`${node.url}/v1/catalog`, { 'if-none-match': '"other"' })
    expect(other.status).toBe(200)
  })

  it('is decoded by fetch as an agent reads it', async () => {
    const response = await fetch(`${node.url}/v1/catalog`)
    expect(response.headers.get('content-encoding')).toMatch(/^(br|gzip)$/)
    expect(Buffer.from(await response.arrayBuffer()).equals(plain.body)).toBe(true)
  })
})
