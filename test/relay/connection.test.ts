// One connection's protocol over a raw WebSocket: malformed messages and their refusals, the
// per-connection limits, and subscription lifecycle (limit 0, live events, replacement, CLOSE).
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { connectRaw, generateSecretKey, plain, signEvent, startRelay } from './harness.js'
import type { RawClient, RunningRelay } from './harness.js'

const ENVELOPE = 'invalid: message must be a JSON array whose first element is a string'

describe('connection', () => {
  const secretKey = generateSecretKey()
  let running: RunningRelay
  let raw: RawClient

  beforeEach(async () => {
    running = await startRelay({ limits: { maxFilters: 2, maxSubscriptions: 2 } })
    raw = await connectRaw(running.url)
  })

  afterEach(async () => {
    raw.socket.close()
    await running.stop()
  })

  /** Sends a REQ that matches nothing and waits for its EOSE: earlier messages are handled. */
  async function sync(client: RawClient): Promise<void> {
    client.send(JSON.stringify(['REQ', 'sync', { ids: [] }]))
    expect(await client.next()).toEqual(['EOSE', 'sync'])
    client.send(JSON.stringify(['CLOSE', 'sync']))
  }

  it.each([
    ['text that is not JSON', 'hello', 'invalid: message is not valid JSON'],
    ['an object', '{}', ENVELOPE],
    ['an empty array', '[]', ENVELOPE],
    ['a number as the type', '[1]', ENVELOPE],
    ['an unknown type', '["HELLO"]', 'invalid: unknown message type "HELLO"'],
    [
      'REQ without an id',
      '["REQ"]',
      'invalid: REQ needs a subscription id string as its second element',
    ],
    [
      'REQ with a number id',
      '["REQ",5,{}]',
      'invalid: REQ needs a subscription id string as its second element',
    ],
    ['CLOSE without an id', '["CLOSE"]', 'invalid: CLOSE takes exactly one subscription id'],
  ])('answers %s with a NOTICE', async (_name, text, notice) => {
    raw.send(text)
    expect(await raw.next()).toEqual(['NOTICE', notice])
  })

  // NIP-01: every EVENT gets an OK, naming no id when it has no readable one.
  it.each([
    ['EVENT without an event', '["EVENT"]', 'invalid: EVENT takes exactly one event'],
    ['EVENT with a number', '["EVENT",42]', 'invalid: event: must be a JSON object'],
    [
      'EVENT with an unreadable id',
      '["EVENT",{"id":"xyz"}]',
      'invalid: id: must be 64 lowercase hex characters',
    ],
  ])('answers %s with OK false and an empty id', async (_name, text, reason) => {
    raw.send(text)
    expect(await raw.next()).toEqual(['OK', '', false, reason])
  })

  it.each([
    ['kind as a string', { kind: '1' }, 'invalid: kind: must be an integer from 0 to 65535'],
    ['kind above 65535', { kind: 65536 }, 'invalid: kind: must be an integer from 0 to 65535'],
    [
      'fractional created_at',
      { created_at: 1.5 },
      'invalid: created_at: must be a non-negative integer',
    ],
    [
      'created_at as a string',
      { created_at: '1' },
      'invalid: created_at: must be a non-negative integer',
    ],
    ['a tag with a number', { tags: [['t', 1]] }, 'invalid: tags[0]: must contain only strings'],
    ['tags as a string', { tags: 'x' }, 'invalid: tags: must be an array of arrays'],
    ['a tag that is a string', { tags: ['t'] }, 'invalid: tags[0]: must be an array'],
    ['content as a number', { content: 5 }, 'invalid: content: must be a string'],
    [
      'an uppercase pubkey',
      { pubkey: 'A'.repeat(64) },
      'invalid: pubkey: must be 64 lowercase hex characters',
    ],
    ['a short sig', { sig: 'ab' }, 'invalid: sig: must be 128 lowercase hex characters'],
  ])('answers an event with %s with OK false', async (_name, change, message) => {
    const event = { ...signEvent(secretKey, { content: 'x' }), ...change }
    raw.send(JSON.stringify(['EVENT', event]))
    expect(await raw.next()).toEqual(['OK', event.id, false, message])
  })

  it.each([
    ['a bad filter', ['REQ', 's', { kinds: 'x' }], 'invalid: filters[0].kinds: must be an array'],
    ['no filter', ['REQ', 's'], 'invalid: REQ needs at least one filter'],
    ['too many filters', ['REQ', 's', {}, {}, {}], 'invalid: too many filters (max 2)'],
    ['an empty id', ['REQ', '', {}], 'invalid: subscription id must be 1 to 64 characters'],
    [
      'a 65-character id',
      ['REQ', 'x'.repeat(65), {}],
      'invalid: subscription id must be 1 to 64 characters',
    ],
  ])('answers a REQ with %s with CLOSED', async (_name, message, reason) => {
    raw.send(JSON.stringify(message))
    expect(await raw.next()).toEqual(['CLOSED', message[1], reason])
  })

  it('keeps serving the connection after malformed input', async () => {
    raw.send('not json')
    raw.send('["EVENT",{}]')
    raw.send(JSON.stringify(['REQ', 's', { kinds: [-1] }]))
    for (let i = 0; i < 3; i++) await raw.next()
    raw.send(JSON.stringify(['REQ', 'ok', { kinds: [1] }]))
    expect(await raw.next()).toEqual(['EOSE', 'ok'])
  })

  it('refuses a binary frame with a NOTICE and keeps the connection', async () => {
    raw.send(Buffer.from(JSON.stringify(['REQ', 'b', {}])), true)
    expect(await raw.next()).toEqual(['NOTICE', 'invalid: binary frames are not accepted'])
    raw.send(JSON.stringify(['REQ', 'b', { limit: 0 }]))
    expect(await raw.next()).toEqual(['EOSE', 'b'])
  })

  it('closes only the connection that sends a frame over max_message_length', async () => {
    const other = await connectRaw(running.url)
    raw.send(JSON.stringify(['EVENT', { content: 'x'.repeat(600 * 1024) }]))
    expect(await raw.closed).toBe(1009)
    await sync(other)
    other.socket.close()
  })

  it('refuses a subscription past max_subscriptions, but not a replacement', async () => {
    raw.send(JSON.stringify(['REQ', 'a', { limit: 0 }]))
    raw.send(JSON.stringify(['REQ', 'b', { limit: 0 }]))
    raw.send(JSON.stringify(['REQ', 'c', { limit: 0 }]))
    raw.send(JSON.stringify(['REQ', 'a', { limit: 0 }]))
    expect(await raw.next()).toEqual(['EOSE', 'a'])
    expect(await raw.next()).toEqual(['EOSE', 'b'])
    expect(await raw.next()).toEqual([
      'CLOSED',
      'c',
      'blocked: too many open subscriptions (max 2)',
    ])
    expect(await raw.next()).toEqual(['EOSE', 'a'])
  })

  it('sends EOSE at once for limit 0 and then live events that match', async () => {
    const stored = signEvent(secretKey, { kind: 1, content: 'before' })
    await running.relay.publish(stored)
    raw.send(JSON.stringify(['REQ', 'live', { kinds: [1], limit: 0 }]))
    expect(await raw.next()).toEqual(['EOSE', 'live'])

    const ignored = signEvent(secretKey, { kind: 2 })
    const matching = signEvent(secretKey, { kind: 1, content: 'after' })
    await running.relay.publish(ignored)
    await running.relay.publish(matching)
    expect(await raw.next()).toEqual(['EVENT', 'live', plain(matching)])
  })

  it('replaces a subscription when a REQ reuses its id', async () => {
    raw.send(JSON.stringify(['REQ', 's', { kinds: [1] }]))
    expect(await raw.next()).toEqual(['EOSE', 's'])
    raw.send(JSON.stringify(['REQ', 's', { kinds: [7] }]))
    expect(await raw.next()).toEqual(['EOSE', 's'])

    const note = signEvent(secretKey, { kind: 1 })
    const reaction = signEvent(secretKey, { kind: 7 })
    await running.relay.publish(note)
    await running.relay.publish(reaction)
    expect(await raw.next()).toEqual(['EVENT', 's', plain(reaction)])
    await expect(raw.next(300)).rejects.toThrow('no message')
  })

  it('stops sending events for a subscription after CLOSE', async () => {
    raw.send(JSON.stringify(['REQ', 's', { kinds: [1] }]))
    expect(await raw.next()).toEqual(['EOSE', 's'])
    raw.send(JSON.stringify(['CLOSE', 's']))
    await sync(raw)

    await running.relay.publish(signEvent(secretKey, { kind: 1 }))
    await expect(raw.next(300)).rejects.toThrow('no message')
  })

  it('answers an EVENT with OK before later messages on the same connection', async () => {
    const event = signEvent(secretKey, { kind: 1, tags: [['t', 'order']] })
    raw.send(JSON.stringify(['EVENT', event]))
    raw.send(JSON.stringify(['REQ', 'after', { '#t': ['order'] }]))
    expect(await raw.next()).toEqual(['OK', event.id, true, ''])
    expect(await raw.next()).toEqual(['EVENT', 'after', plain(event)])
    expect(await raw.next()).toEqual(['EOSE', 'after'])
  })
})

describe('connection heartbeat', () => {
  it('drops a peer that stops answering pings, and keeps one that answers', async () => {
    const running = await startRelay({ limits: { pingIntervalMs: 50 } })
    const silent = new WebSocket(running.url, { autoPong: false })
    const healthy = await connectRaw(running.url)
    try {
      const code = await new Promise<number>((resolve) => silent.on('close', resolve))
      expect(code).toBe(1006)
      expect(healthy.socket.readyState).toBe(WebSocket.OPEN)
      healthy.send(JSON.stringify(['REQ', 'h', { limit: 0 }]))
      expect(await healthy.next()).toEqual(['EOSE', 'h'])
    } finally {
      healthy.socket.close()
      await running.stop()
    }
  })
})
