// NIP-45 COUNT over a real WebSocket: raw messages, refusals answered with CLOSED, and the counts
// that nostr-tools' Relay and SimplePool and NDK read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import NDK from '@nostr-dev-kit/ndk'
import { SimplePool } from 'nostr-tools/pool'
import { getPublicKey } from 'nostr-tools/pure'
import { connectClient, connectRaw, generateSecretKey, signEvent, startRelay } from './harness.js'
import type { RawClient, RunningRelay } from './harness.js'

// NDK opens sockets with the global WebSocket, which Node 20 does not have.
;(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket

describe('relay COUNT (NIP-45)', () => {
  const followed = generateSecretKey()
  const followers = [generateSecretKey(), generateSecretKey(), generateSecretKey()]
  let running: RunningRelay
  let client: RawClient

  beforeAll(async () => {
    running = await startRelay()
    const target = getPublicKey(followed)
    for (const [index, key] of followers.entries()) {
      const contacts = signEvent(key, {
        kind: 3,
        tags: [['p', target]],
        created_at: 1_700_000_000 + index,
      })
      await running.relay.publish(contacts)
    }
    await running.relay.publish(signEvent(followed, { kind: 0, content: '{}' }))
    client = await connectRaw(running.url)
  })

  afterAll(async () => {
    client.socket.close()
    await running.stop()
  })

  it.each([
    [[{ kinds: [3] }], 3],
    [[{ kinds: [0] }, { kinds: [3] }], 4],
    [[{ kinds: [3], limit: 1 }], 3],
    [[{ kinds: [3], since: 1_700_000_001 }], 2],
    [[{ kinds: [1] }], 0],
  ])('counts %j as %i', async (filters, count) => {
    client.send(JSON.stringify(['COUNT', 'c', ...filters]))
    expect(await client.next()).toEqual(['COUNT', 'c', { count }])
  })

  it.each([
    [['COUNT', 'c'], 'invalid: COUNT needs at least one filter'],
    [
      ['COUNT', 'c', { kinds: ['3'] }],
      'invalid: filters[0].kinds[0]: must be an integer from 0 to 65535',
    ],
    [['COUNT', 'x'.repeat(65), {}], 'invalid: subscription id must be 1 to 64 characters'],
    [
      ['COUNT', 'c', ...Array.from({ length: 11 }, () => ({}))],
      'invalid: too many filters (max 10)',
    ],
  ])('answers %j with CLOSED', async (message, reason) => {
    client.send(JSON.stringify(message))
    expect(await client.next()).toEqual(['CLOSED', message[1], reason])
  })

  it('answers a COUNT without a subscription id with a NOTICE', async () => {
    client.send(JSON.stringify(['COUNT', 5, {}]))
    expect(await client.next()).toEqual([
      'NOTICE',
      'invalid: COUNT needs a subscription id string as its second element',
    ])
  })

  it('gives nostr-tools Relay.count the number of matching events', async () => {
    const relay = await connectClient(running.url)
    await expect(relay.count([{ kinds: [3] }], {})).resolves.toBe(3)
    relay.close()
  })

  it('gives NDK the count of matching events', async () => {
    const ndk = new NDK({ explicitRelayUrls: [running.url] })
    await ndk.connect(5000)
    const result = await ndk.count([{ kinds: [3], '#p': [getPublicKey(followed)] }])
    expect(result.count).toBe(3)
    for (const relay of ndk.pool.relays.values()) relay.disconnect()
  })

  it('gives nostr-tools SimplePool the follower count of a key', async () => {
    const pool = new SimplePool()
    const result = await pool.countMany([running.url], getPublicKey(followed), 'followers')
    expect(result.count).toBe(3)
    pool.destroy()
  })
})
