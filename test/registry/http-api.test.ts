// The HTTP edge over real HTTP: the OpenAPI document generated from the routes' schemas, health,
// Prometheus metrics, CORS and JSON errors `{ error, message }` on every kind of failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { makeDataDir, startTestNode, type TestNode } from './harness.js'

describe('registry HTTP API', () => {
  const data = makeDataDir()
  let node: TestNode

  beforeAll(async () => {
    node = await startTestNode(data.dir)
  })
  afterAll(async () => {
    await node.close()
    data.remove()
  })

  it('serves an OpenAPI 3.1 document of every route, parameters from their schemas', async () => {
    const { status, body } = await node.getJson('/v1/openapi.json')
    expect(status).toBe(200)
    expect(body.openapi).toBe('3.1.0')
    const paths = body.paths as Record<string, Record<string, { parameters?: unknown[] }>>
    for (const path of [
      '/healthz',
      '/metrics',
      '/v1/catalog',
      '/v1/apps/{id}',
      '/v1/rejections',
      '/v1/events/{id}/verdict',
      '/blobs/{blake3}',
      '/blobs',
      '/{sha256}',
      '/upload',
      '/list/{pubkey}',
    ]) {
      expect(paths, path).toHaveProperty([path])
    }
    expect(paths['/v1/rejections']!.get!.parameters).toContainEqual(
      expect.objectContaining({
        name: 'limit',
        in: 'query',
        schema: expect.objectContaining({ minimum: 1, maximum: 1000 }),
      }),
    )
    expect(paths['/blobs/{blake3}']!.get!.parameters).toContainEqual(
      expect.objectContaining({
        name: 'blake3',
        in: 'path',
        schema: expect.objectContaining({ pattern: '^[0-9a-f]{64}$' }),
      }),
    )
    const schemas = (body.components as { schemas: Record<string, unknown> }).schemas
    expect(schemas.Error).toMatchObject({ required: ['error', 'message'] })
  })

  it('documents every route the README lists, with its method, the pages as text/html', async () => {
    const { body } = await node.getJson('/v1/openapi.json')
    const paths = body.paths as Record<string, Record<string, { responses: object }>>
    const listed = [
      ['get', '/v1/catalog'],
      ['get', '/v1/rotations'],
      ['get', '/v1/apps'],
      ['get', '/v1/apps/{id}'],
      ['get', '/v1/apps/{id}/releases'],
      ['get', '/v1/rejections'],
      ['get', '/v1/events/{id}/verdict'],
      ['get', '/blobs/{blake3}'],
      ['head', '/blobs/{blake3}'],
      ['put', '/blobs'],
      ['get', '/{sha256}'],
      ['head', '/{sha256}'],
      ['delete', '/{sha256}'],
      ['put', '/upload'],
      ['head', '/upload'],
      ['get', '/list/{pubkey}'],
      ['get', '/'],
      ['get', '/apps/{address}'],
      ['get', '/rejections'],
      ['get', '/healthz'],
      ['get', '/metrics'],
      ['get', '/v1/openapi.json'],
    ]
    for (const [method, path] of listed)
      expect(paths[path!], `${method} ${path}`).toHaveProperty([method!])
    for (const page of ['/', '/apps/{address}', '/rejections']) {
      expect(paths[page]!.get!.responses).toHaveProperty(['200', 'content', 'text/html'])
    }
    expect(JSON.stringify(paths['/']!.get)).toContain(
      '"enum":["trusted","in-network","unknown","unscored"]',
    )
  })

  it('validates with the documented schemas: a bad limit or digest is a 400 naming it', async () => {
    expect(await node.getJson('/v1/rejections?limit=0')).toEqual({
      status: 400,
      body: { error: 'invalid', message: 'limit: must be an integer from 1 to 1000' },
    })
    expect(await node.getJson('/blobs/XYZ')).toEqual({
      status: 400,
      body: { error: 'invalid', message: 'blake3: must be 64 lowercase hex' },
    })
    expect(await node.getJson('/v1/events/abc/verdict')).toEqual({
      status: 400,
      body: { error: 'invalid', message: 'id: must be an event id: 64 lowercase hex characters' },
    })
  })

  it('answers /healthz', async () => {
    expect(await node.getJson('/healthz')).toEqual({ status: 200, body: { status: 'ok' } })
  })

  it('exposes Prometheus metrics by route pattern, never by raw path', async () => {
    await fetch(`${node.url}/blobs/${'d'.repeat(64)}`)
    const response = await fetch(`${node.url}/metrics`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = await response.text()
    expect(text).toMatch(
      /archy_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/,
    )
    expect(text).toContain('route="/blobs/:blake3",status="404"')
    expect(text).not.toContain('d'.repeat(64))
    expect(text).toMatch(/archy_http_request_duration_seconds_bucket/)
    expect(text).toMatch(/archy_process_cpu_seconds_total/)
    expect(text).toMatch(/archy_blob_bytes_stored \d+/)
  })

  it('answers JSON with CORS headers and preflights with 204', async () => {
    const response = await fetch(`${node.url}/v1/catalog`, {
      headers: { origin: 'https://example.org' },
    })
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(response.headers.get('access-control-expose-headers')).toContain('ETag')
    await response.arrayBuffer()
    const preflight = await fetch(`${node.url}/v1/catalog`, {
      method: 'OPTIONS',
      headers: { origin: 'https://example.org', 'access-control-request-method': 'GET' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
  })

  it.each([
    ['GET', '/v1/nothing', 404, 'not-found'],
    ['POST', '/v1/catalog', 405, 'method-not-allowed'],
    ['GET', '/healthz?x=1', 400, 'invalid'],
    ['GET', '/v1/apps/Not_An_Id', 400, 'invalid'],
  ])('answers %s %s with %i and a JSON { error, message }', async (method, path, status, code) => {
    const response = await fetch(node.url + path, { method })
    expect(response.status).toBe(status)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    const body = (await response.json()) as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(['error', 'message'])
    expect(body.error).toBe(code)
    expect(typeof body.message).toBe('string')
  })
})
