// The registry node as a whole: start-up state, the signed empty catalog, persistence of the
// sequence and the operator key across restarts, NIP-11 and routing on the shared port.
import { rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { signNostrEvent } from '../../src/nostr/event.js'
import { verifyCatalog } from '../../src/release/catalog.js'
import { buildReleaseEvent } from '../../src/release/release-event.js'
import { makeKeys, manifestDocument, signRelease } from '../support/release-fixtures.js'
import { makeDataDir, startTestNode, waitForCatalog, type TestNode } from './harness.js'

// Within the relay's created_at window (at most 15 minutes ahead), ordered among themselves.
const HOUR_AGO = Math.floor(Date.now() / 1000) - 3600

describe('startRegistryNode', () => {
  let data: ReturnType<typeof makeDataDir>
  let node: TestNode

  beforeEach(async () => {
    data = makeDataDir()
    node = await startTestNode(data.dir)
  })
  afterEach(async () => {
    await node.close()
    data.remove()
  })

  it('listens on the real port and makes a 0600 operator key on first start', () => {
    expect(node.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(node.url).not.toMatch(/:0$/)
    expect(node.did).toMatch(/^did:key:z6Mk/)
    expect(statSync(join(data.dir, 'operator.keys.json')).mode & 0o777).toBe(0o600)
  })

  it('serves a signed empty catalog with sequence 1 on a fresh node', async () => {
    const response = await fetch(node.url + '/v1/catalog')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    const catalog = (await response.json()) as { sequence: number; apps: unknown[] }
    expect(catalog.sequence).toBe(1)
    expect(catalog.apps).toEqual([])
    const verified = verifyCatalog(catalog, { pinnedDid: node.did })
    expect(verified.catalog.registry).toEqual({
      did: node.did,
      url: node.url,
      relay: node.url.replace('http', 'ws'),
    })
    const days =
      (Date.parse(verified.catalog.expires_at) - Date.parse(verified.catalog.issued_at)) /
      86_400_000
    expect(days).toBe(7)
  })

  it('answers If-None-Match with 304 when the catalog is unchanged', async () => {
    const first = await fetch(node.url + '/v1/catalog', { headers: { 'accept-encoding': '' } })
    const etag = first.headers.get('etag')
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/)
    const second = await fetch(node.url + '/v1/catalog', { headers: { 'if-none-match': etag! } })
    expect(second.status).toBe(304)
  })

  it.each<[string, number, (etag: string) => string]>([
    ['*', 304, () => '*'],
    ['a list holding the tag', 304, (etag) => `"a", ${etag}, "b"`],
    ['the tag marked weak', 304, (etag) => `W/${etag}`],
    ['a list holding the weak tag', 304, (etag) => `W/"a",W/${etag}`],
    ['another tag', 200, () => `"${'0'.repeat(64)}"`],
    ['a list of other tags', 200, () => '"a", W/"b"'],
    ['the tag without quotes', 200, (etag) => etag.slice(1, -1)],
  ])('answers If-None-Match with %s by %i (RFC 9110 §13.1.2)', async (_name, status, header) => {
    const etag = (await fetch(node.url + '/v1/catalog')).headers.get('etag')!
    const response = await fetch(node.url + '/v1/catalog', {
      headers: { 'if-none-match': header(etag) },
    })
    expect(response.status).toBe(status)
    expect(response.headers.get('etag')).toBe(etag)
  })

  it('announces the catalog on its relay with sequence, blake3 and url', async () => {
    const client = await node.client()
    const events = await new Promise<{ content: string; pubkey: string }[]>((resolve) => {
      const found: { content: string; pubkey: string }[] = []
      const sub = client.subscribe([{ kinds: [30078], '#d': ['archipelago-catalog'] }], {
        onevent: (event) => found.push(event),
        oneose: () => {
          sub.close()
          resolve(found)
        },
      })
    })
    expect(events).toHaveLength(1)
    const info = (await (
      await fetch(node.url, { headers: { accept: 'application/nostr+json' } })
    ).json()) as { pubkey: string }
    expect(events[0]!.pubkey).toBe(info.pubkey)
    const catalogResponse = await fetch(node.url + '/v1/catalog', {
      headers: { 'accept-encoding': 'identity' },
    })
    expect(JSON.parse(events[0]!.content)).toEqual({
      sequence: 1,
      blake3: catalogResponse.headers.get('etag')!.slice(1, -1),
      url: `${node.url}/v1/catalog`,
    })
  })

  it('serves NIP-11 on the shared port and the API beside it', async () => {
    const info = await fetch(node.url + '/', { headers: { accept: 'application/nostr+json' } })
    expect(info.headers.get('content-type')).toMatch(/^application\/nostr\+json/)
    expect(await info.json()).toMatchObject({ software: 'archipelago-registry' })
    const health = await node.getJson('/healthz')
    expect(health).toEqual({ status: 200, body: { status: 'ok' } })
  })

  it.each([
    ['/nowhere', 404, 'not-found'],
    ['/v1/apps/Not_An_Id', 400, 'invalid'],
    ['/v1/apps/unknown-app', 404, 'not-found'],
    ['/v1/apps/unknown-app/releases', 404, 'not-found'],
    [`/v1/apps/unknown-app@${makeKeys().ed25519.did}/releases`, 404, 'not-found'],
    ['/v1/events/xyz/verdict', 400, 'invalid'],
    ['/v1/rejections?limit=abc', 400, 'invalid'],
    ['/v1/rejections?limit=0', 400, 'invalid'],
    ['/blobs/not-a-digest', 400, 'invalid'],
    ['/blobs/' + 'a'.repeat(64), 404, 'not-found'],
  ])('answers GET %s with %i JSON', async (path, status, error) => {
    const { status: got, body } = await node.getJson(path)
    expect(got).toBe(status)
    expect(body.error).toBe(error)
    expect(typeof body.message).toBe('string')
  })

  const EVENT = 'f'.repeat(64)
  const LIMIT_RULE = 'limit: must be an integer from 1 to 1000'
  const NOT_A_LABEL =
    'is not a lowercase kebab-case DNS label (a-z, 0-9 and single hyphens, 1-63 characters)'
  it.each([
    ['/v1/rejections?limit=abc', LIMIT_RULE],
    ['/v1/rejections?limit=', LIMIT_RULE],
    ['/v1/rejections?limit', LIMIT_RULE],
    ['/v1/rejections?limit=0', LIMIT_RULE],
    ['/v1/rejections?limit=1001', LIMIT_RULE],
    ['/v1/rejections?limit=-1', LIMIT_RULE],
    ['/v1/rejections?limit=1.5', LIMIT_RULE],
    ['/v1/rejections?limit=%201', LIMIT_RULE],
    ['/v1/rejections?limit=5&limit=6', 'limit: must be given once, not 2 times'],
    [
      '/v1/rejections?limt=5',
      'limt: is not a query parameter of GET /v1/rejections; it takes limit',
    ],
    ['/v1/apps?limit=5', 'limit: is not a query parameter of GET /v1/apps; it takes none'],
    [
      '/v1/catalog?sequence=2',
      'sequence: is not a query parameter of GET /v1/catalog; it takes none',
    ],
    ['/healthz?verbose', 'verbose: is not a query parameter of GET /healthz; it takes none'],
    [
      '/v1/apps/photo-vault?publisher=x',
      'publisher: is not a query parameter of GET /v1/apps/:id; it takes none',
    ],
    [
      '/v1/apps/photo-vault/releases?limit=1',
      'limit: is not a query parameter of GET /v1/apps/:id/releases; it takes none',
    ],
    [
      `/v1/events/${EVENT}/verdict?wait=1`,
      'wait: is not a query parameter of GET /v1/events/:id/verdict; it takes none',
    ],
    ['/v1/apps/Not_An_Id', `id: "Not_An_Id" ${NOT_A_LABEL}`],
    ['/v1/apps/%20photo-vault', `id: " photo-vault" ${NOT_A_LABEL}`],
    ['/v1/apps/-photo-vault/releases', `id: "-photo-vault" ${NOT_A_LABEL}`],
    ['/v1/apps/photo-vault@', `id: "" after "@" is not a publisher's did:key`],
    [
      '/v1/apps/photo-vault@did:web:example.org/releases',
      `id: "did:web:example.org" after "@" is not a publisher's did:key`,
    ],
  ])('answers GET %s with 400 naming the field and the rule', async (path, message) => {
    const { status, body } = await node.getJson(path)
    expect(status).toBe(400)
    expect(body).toEqual({ error: 'invalid', message })
  })

  it.each([
    '/healthz',
    '/v1/catalog',
    '/v1/apps',
    '/v1/rejections',
    '/v1/rejections?limit=1',
    '/v1/rejections?limit=1000',
  ])('answers GET %s with 200', async (path) => {
    expect((await fetch(node.url + path)).status).toBe(200)
  })

  it.each([
    ['POST', '/v1/catalog'],
    ['PUT', '/v1/apps/photo-vault'],
    ['DELETE', '/v1/apps/photo-vault/releases'],
    ['PATCH', '/v1/rejections'],
    ['POST', `/v1/events/${EVENT}/verdict`],
    ['DELETE', '/v1/apps'],
    ['POST', '/healthz'],
  ])('answers %s %s with 405 and Allow: GET, HEAD', async (method, path) => {
    const response = await fetch(node.url + path, { method })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, HEAD')
    expect(await response.json()).toEqual({
      error: 'method-not-allowed',
      message: `${method} is not allowed here; use GET or HEAD`,
    })
  })

  it('answers 404 for an event id it has never seen', async () => {
    const id = 'f'.repeat(64)
    const { status, body } = await node.getJson(`/v1/events/${id}/verdict`)
    expect(status).toBe(404)
    expect(body).toEqual({
      error: 'not-found',
      message:
        `no release event ${id} is stored here ` +
        '(the registry judges kind 30078 events whose d tag starts with archipelago-app:)',
    })
  })

  it('answers 404 for a stored event outside the release namespace', async () => {
    const keys = makeKeys()
    const note = signNostrEvent(
      { kind: 0, created_at: HOUR_AGO, tags: [], content: '{}' },
      keys.nostr.secretKey,
    )
    await node.publish(note)
    const { status, body } = await node.getJson(`/v1/events/${note.id}/verdict`)
    expect(status).toBe(404)
    expect(body.error).toBe('not-found')
  })

  it.each([
    ['not hex', 'xyz'],
    ['uppercase hex', 'F'.repeat(64)],
    ['63 characters', 'f'.repeat(63)],
    ['65 characters', 'f'.repeat(65)],
    ['a non-hex letter', 'g'.repeat(64)],
    ['a space', encodeURIComponent(' ' + 'f'.repeat(63))],
  ])('answers 400 naming the id parameter for an event id with %s', async (_name, id) => {
    const { status, body } = await node.getJson(`/v1/events/${id}/verdict`)
    expect(status).toBe(400)
    expect(body).toEqual({
      error: 'invalid',
      message: 'id: must be an event id: 64 lowercase hex characters',
    })
  })

  it('refuses a WebSocket upgrade on a path other than /', async () => {
    const { WebSocket } = await import('ws')
    const socket = new WebSocket(node.url.replace('http', 'ws') + '/v1/catalog')
    const outcome = await new Promise<string>((resolve) => {
      socket.once('open', () => resolve('open'))
      socket.once('error', () => resolve('error'))
    })
    expect(outcome).toBe('error')
  })
})

describe('startRegistryNode across restarts', () => {
  it('keeps the operator key and a strictly increasing persisted sequence', async () => {
    const data = makeDataDir()
    try {
      let node = await startTestNode(data.dir)
      const did = node.did
      const publisher = makeKeys()
      const release = signRelease(publisher, [manifestDocument('photo-vault', '1.0.0')])
      await node.publish(buildReleaseEvent(release, publisher.nostr.secretKey, HOUR_AGO))
      const second = await waitForCatalog(node, 2)
      expect(second.sequence).toBe(2)
      await node.close()

      // Same port, so the same registry URL: unchanged content keeps its sequence.
      const port = Number(new URL(node.url).port)
      node = await startTestNode(data.dir, { port })
      expect(node.did).toBe(did)
      const { body } = await node.getJson('/v1/catalog')
      expect(body.sequence).toBe(2)
      expect(verifyCatalog(body, { pinnedDid: did }).catalog.apps).toHaveLength(1)

      const next = signRelease(publisher, [manifestDocument('photo-vault', '1.1.0')])
      await node.publish(buildReleaseEvent(next, publisher.nostr.secretKey, HOUR_AGO + 100))
      const third = await waitForCatalog(node, 3)
      expect(third.sequence).toBe(3)
      expect(third.apps[0]!.version).toBe('1.1.0')
      await node.close()

      // Another port changes the registry URL in the catalog, so it is re-signed, never lower.
      node = await startTestNode(data.dir)
      expect((await waitForCatalog(node, 4)).sequence).toBe(4)
      await node.close()

      // registry.sqlite lost, relay.sqlite kept: the releases are indexed again from the relay
      // and the sequence continues from the last announcement instead of restarting at 1.
      for (const file of ['registry.sqlite', 'registry.sqlite-wal', 'registry.sqlite-shm']) {
        rmSync(join(data.dir, file), { force: true })
      }
      node = await startTestNode(data.dir)
      const recovered = await waitForCatalog(node, 5)
      expect(recovered.sequence).toBe(5)
      expect(recovered.apps[0]!.version).toBe('1.1.0')
      await node.close()
    } finally {
      data.remove()
    }
  })
})
