// NIP-11 over real HTTP: the document, its CORS headers, which requests it answers, and
// restricted_writes following the write policy and NIP-42.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { IncomingMessage } from 'node:http'
import { isInfoRequest } from '../../relay/nip11.js'
import { acceptOnlyKinds, createInfoResponse } from '../../relay/index.js'
import { startRelay } from './harness.js'
import type { RunningRelay } from './harness.js'

describe('nip11', () => {
  let running: RunningRelay

  beforeAll(async () => {
    running = await startRelay({ limits: { maxSubscriptions: 7 } })
  })

  afterAll(async () => {
    await running.stop()
  })

  it('serves the document on GET / with Accept: application/nostr+json', async () => {
    const response = await fetch(running.httpUrl, {
      headers: { accept: 'application/nostr+json' },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/nostr\+json/)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(await response.json()).toEqual({
      name: 'test relay',
      description: 'relay under test',
      supported_nips: [1, 9, 11, 40, 42, 45, 50, 70, 77],
      software: 'archy',
      version: '0',
      limitation: {
        max_message_length: 524288,
        max_subscriptions: 7,
        max_filters: 10,
        max_limit: 500,
        max_subid_length: 64,
        max_event_tags: 2000,
        max_content_length: 262144,
        min_pow_difficulty: 0,
        auth_required: false,
        payment_required: false,
        // No write policy and no NIP-42 requirement: only ordinary validation.
        restricted_writes: false,
        // By default 15 minutes ahead and no lower bound (relay/limits.ts says why).
        created_at_upper_limit: 900,
        default_limit: 500,
      },
    })
  })

  it.each([
    [false, 'no write policy and no NIP-42 requirement', {}],
    [true, 'a write policy', { policies: [acceptOnlyKinds([1])] }],
    [true, 'writes only from authenticated authors', { requireAuthForWrites: true }],
  ])('advertises restricted_writes %s with %s', async (restricted, _case, options) => {
    const relay = await startRelay(options)
    try {
      const limitation = relay.relay.infoDocument().limitation as Record<string, unknown>
      expect(limitation.restricted_writes).toBe(restricted)
    } finally {
      await relay.stop()
    }
  })

  it('leaves other requests to the node', async () => {
    const plain = await fetch(running.httpUrl)
    expect(plain.status).toBe(404)
    const elsewhere = await fetch(`${running.httpUrl}v1/apps`, {
      headers: { accept: 'application/nostr+json' },
    })
    expect(elsewhere.status).toBe(404)
  })

  it.each([
    ['GET', '/', 'application/nostr+json', true],
    ['GET', '/?x=1', 'text/html, application/nostr+json;q=0.9', true],
    ['GET', '/', 'application/json', false],
    ['GET', '/', undefined, false],
    ['POST', '/', 'application/nostr+json', false],
    ['GET', '/relay', 'application/nostr+json', false],
  ])('isInfoRequest(%s %s, Accept %s) is %s', (method, url, accept, expected) => {
    const request = { method, url, headers: accept ? { accept } : {} } as IncomingMessage
    expect(isInfoRequest(request)).toBe(expected)
  })

  it('builds a fetch-style Response for routers such as Hono', async () => {
    const response = createInfoResponse(running.relay)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(await response.json()).toEqual(running.relay.infoDocument())
  })
})
