// Structured logs at the HTTP edge: one JSON line per request with fixed message text and the
// variables in fields, blob events with their digest, and never an authorization or a secret.
import { createHash, randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { generateNostrKeys } from '../../src/identity/nostr-keys.js'
import { blossomHeader } from './blossom-header.js'
import { makeDataDir, startTestNode, type TestNode } from './harness.js'

describe('registry HTTP logs', () => {
  const data = makeDataDir()
  const lines: string[] = []
  let node: TestNode

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean))
        done()
      },
    })
    node = await startTestNode(data.dir, { logger: pino({ level: 'debug' }, sink) })
  })
  afterAll(async () => {
    await node.close()
    data.remove()
  })

  const records = (): Record<string, unknown>[] =>
    lines.map((line) => JSON.parse(line) as Record<string, unknown>)

  it('writes one JSON line per request with method, path, status and time', async () => {
    await fetch(`${node.url}/healthz`)
    await fetch(`${node.url}/v1/nothing`)
    const http = records().filter((record) => record.msg === 'http')
    expect(http).toContainEqual(
      expect.objectContaining({
        method: 'GET',
        path: '/healthz',
        status: 200,
        ms: expect.any(Number),
      }),
    )
    expect(http).toContainEqual(expect.objectContaining({ path: '/v1/nothing', status: 404 }))
  })

  it('logs a stored blob by digest and uploader, and never the authorization', async () => {
    const keys = generateNostrKeys()
    const body = randomBytes(2000)
    const auth = blossomHeader(keys.secretKey, 'upload', [
      createHash('sha256').update(body).digest('hex'),
    ])
    const response = await fetch(`${node.url}/upload`, {
      method: 'PUT',
      body,
      headers: { authorization: auth },
    })
    const { blake3 } = (await response.json()) as { blake3: string }
    expect(records()).toContainEqual(
      expect.objectContaining({
        msg: 'blob stored',
        digest: blake3,
        size: 2000,
        pubkey: keys.pubkey,
      }),
    )
    const status = records().find((record) => record.msg === 'http' && record.path === '/upload')
    expect(status).toMatchObject({ method: 'PUT', status: 201 })
    const all = lines.join('\n')
    expect(all).not.toContain(auth.slice(6, 60))
    expect(all).not.toContain(Buffer.from(keys.secretKey).toString('hex'))
  })
})
