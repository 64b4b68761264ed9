// The HTTP edge refuses what it does not take, the same way on every route: unknown or nameless
// query parameters, malformed app ids and trust bands are 400s naming the field; a plain OPTIONS
// gets the path's methods; long values are not echoed whole; blob types and metrics are honest.
import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { generateNostrKeys } from '../../src/identity/nostr-keys.js'
import { blossomHeader } from './blossom-header.js'
import { makeDataDir, startTestNode, type TestNode } from './harness.js'

const alice = generateNostrKeys()
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

describe('registry HTTP edge', () => {
  const data = makeDataDir()
  let node: TestNode

  beforeAll(async () => {
    node = await startTestNode(data.dir)
  })
  afterAll(async () => {
    await node.close()
    data.remove()
  })

  async function answer(path: string): Promise<{ status: number; text: string }> {
    const response = await fetch(node.url + path)
    return { status: response.status, text: await response.text() }
  }

  it.each([
    ['/v1/rejections?=5', 'query: a parameter with an empty name is not a query parameter'],
    ['/v1/rejections?limit=5&=5', 'query: a parameter with an empty name is not'],
    ['/healthz?=', 'query: a parameter with an empty name is not a query parameter of GET'],
    ['/rejections?app=BAD_ID', 'app: &quot;BAD_ID&quot; is not a lowercase kebab-case DNS label'],
    ['/rejections?app=a--b', 'app: &quot;a--b&quot; is not a lowercase kebab-case DNS label'],
    ['/apps/Bad_Id', 'address: &quot;Bad_Id&quot; is not a lowercase kebab-case DNS label'],
    ['/?trust=bogus', 'trust: must be one of trusted, in-network, unknown, unscored, not'],
    [`/${'a'.repeat(64)}.txt?=1`, 'query: a parameter with an empty name is not'],
  ])('answers GET %s with a 400 naming the field', async (path, message) => {
    const { status, text } = await answer(path)
    expect(status).toBe(400)
    expect(text).toContain(message)
  })

  it('names the Blossom route readably in errors, not by its pattern', async () => {
    const { text } = await answer(`/${'a'.repeat(64)}?x=1`)
    expect(JSON.parse(text)).toEqual({
      error: 'invalid',
      message: 'x: is not a query parameter of GET /:sha256; it takes none',
    })
  })

  it('still takes a well-formed app id and a known trust band', async () => {
    expect((await answer('/rejections?app=photo-vault')).status).toBe(200)
    expect((await answer('/?trust=unscored')).status).toBe(200)
  })

  it('does not echo a 5,000-character value whole', async () => {
    const long = 'X'.repeat(5000)
    for (const path of [`/v1/apps/${long}`, `/apps/${long}`, `/rejections?app=${long}`]) {
      const { status, text } = await answer(path)
      expect(status, path).toBe(400)
      expect(text.includes(`${'X'.repeat(64)}...`), path).toBe(true)
      expect(text, path.slice(0, 20)).toContain(' (5000 characters) is not a lowercase')
      expect(text.includes('X'.repeat(65)), path).toBe(false)
    }
    const unrouted = await answer(`/v1/${long}`)
    expect(unrouted.status).toBe(404)
    expect(unrouted.text).toContain('... (5004 characters)')
    expect(unrouted.text.includes('X'.repeat(201))).toBe(false)
  })

  it.each([
    ['/v1/rejections', 'GET, HEAD, OPTIONS'],
    ['/v1/catalog', 'GET, HEAD, OPTIONS'],
    ['/', 'GET, HEAD, OPTIONS'],
    [`/blobs/${'b'.repeat(64)}`, 'GET, HEAD, OPTIONS'],
    ['/blobs', 'PUT, OPTIONS'],
    [`/${'c'.repeat(64)}`, 'GET, HEAD, DELETE, OPTIONS'],
    ['/upload', 'PUT, HEAD, OPTIONS'],
  ])('answers a plain OPTIONS %s with 204 and Allow %s', async (path, allow) => {
    const response = await fetch(node.url + path, { method: 'OPTIONS' })
    expect(response.status).toBe(204)
    expect(response.headers.get('allow')).toBe(allow)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('answers a plain OPTIONS of a path that does not exist with 404', async () => {
    const response = await fetch(`${node.url}/v1/nothing`, { method: 'OPTIONS' })
    expect(response.status).toBe(404)
    await response.arrayBuffer()
  })

  async function upload(body: Uint8Array<ArrayBuffer>, type?: string): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: blossomHeader(alice.secretKey, 'upload', [sha256(body)]),
    }
    if (type) headers['content-type'] = type
    return fetch(`${node.url}/upload`, { method: 'PUT', body, headers })
  }

  it.each([
    ['no Content-Type', undefined, 'application/octet-stream', undefined],
    ['a form encoding', 'application/x-www-form-urlencoded', 'application/octet-stream', undefined],
    ['a multipart form', 'multipart/form-data; boundary=x', 'application/octet-stream', undefined],
    ['a malformed type', 'not a type', 'application/octet-stream', undefined],
    ['a real type', 'image/PNG; charset=binary', 'image/png', 'image/png'],
  ])('stores an upload sent with %s as its type', async (_name, sent, served, described) => {
    const body = new Uint8Array(randomBytes(100))
    const response = await upload(body, sent)
    expect(response.status).toBe(201)
    expect(((await response.json()) as { type?: string }).type).toBe(described)
    const fetched = await fetch(`${node.url}/${sha256(body)}`)
    expect(fetched.headers.get('content-type')).toBe(served)
    await fetched.arrayBuffer()
  })

  it('keeps archy_blob_bytes_stored current on upload and delete, and labels routes readably', async () => {
    const stored = async (): Promise<number> => {
      const text = await (await fetch(`${node.url}/metrics`)).text()
      return Number(/^archy_blob_bytes_stored (\d+)$/m.exec(text)![1])
    }
    const before = await stored()
    const body = new Uint8Array(randomBytes(12_345))
    expect((await upload(body)).status).toBe(201)
    expect(await stored()).toBe(before + 12_345)
    expect((await upload(body)).status).toBe(201)
    expect(await stored()).toBe(before + 12_345)

    const digest = sha256(body)
    const deleted = await fetch(`${node.url}/${digest}`, {
      method: 'DELETE',
      headers: { authorization: blossomHeader(alice.secretKey, 'delete', [digest]) },
    })
    expect(await deleted.json()).toEqual({ sha256: digest, deleted: true })
    expect(await stored()).toBe(before)

    await (await fetch(`${node.url}/${digest}`)).arrayBuffer()
    const text = await (await fetch(`${node.url}/metrics`)).text()
    expect(text).toContain('route="/:sha256",status="404"')
    expect(text).not.toContain('route="/:sha256{')
  })
})
