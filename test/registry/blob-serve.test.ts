// sendBlob without a Node response (Hono's app.request(), as page tests use): the same status,
// headers and bytes as over real HTTP, through a web stream.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { HttpBindings } from '@hono/node-server'
import { Hono } from 'hono'
import { afterAll, describe, expect, it } from 'vitest'

import { sendBlob } from '../../registry/blob-serve.js'
import { openBlobStore } from '../../registry/blob-store.js'

describe('sendBlob through app.request()', () => {
  const dir = mkdtempSync(join(tmpdir(), 'archy-blob-serve-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  async function openApp(): Promise<{ app: Hono<{ Bindings: HttpBindings }>; bytes: Buffer }> {
    const blobs = await openBlobStore(dir)
    const bytes = Buffer.from('0123456789abcdefghij')
    const { blake3, size } = await blobs.write([bytes])
    const app = new Hono<{ Bindings: HttpBindings }>()
    app.get('/b', (c) => sendBlob(c, blobs, { blake3, size, type: 'text/plain' }))
    return { app, bytes }
  }

  it('serves the whole blob and a single range', async () => {
    const { app, bytes } = await openApp()
    const whole = await app.request('/b')
    expect(whole.status).toBe(200)
    expect(whole.headers.get('content-type')).toBe('text/plain')
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true)

    const part = await app.request('/b', { headers: { range: 'bytes=2-4' } })
    expect(part.status).toBe(206)
    expect(await part.text()).toBe('234')
  })

  it('serves several ranges as multipart/byteranges with an exact length', async () => {
    const { app } = await openApp()
    const response = await app.request('/b', { headers: { range: 'bytes=0-1,-2' } })
    expect(response.status).toBe(206)
    const boundary = /boundary=(\S+)/.exec(response.headers.get('content-type') ?? '')?.[1]
    const text = await response.text()
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(text)))
    expect(text).toBe(
      `\r\n--${boundary}\r\ncontent-type: text/plain\r\ncontent-range: bytes 0-1/20\r\n\r\n01` +
        `\r\n--${boundary}\r\ncontent-type: text/plain\r\ncontent-range: bytes 18-19/20\r\n\r\nij` +
        `\r\n--${boundary}--\r\n`,
    )
  })
})
