// NIP-45 COUNT over a real WebSocket: raw messages, refusals answered with CLOSED, and the counts
// that nostr-tools' Relay and SimplePool and NDK read.
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import NDK from '@nostr-dev-kit/ndk'
import { SimplePool } from 'nostr-tools/pool'
import { getPublicKey } from 'nostr-tools/pure'
import { openEventStore } from '../../relay/event-store.js'
import {
  connectClient,
  connectRaw,
  generateSecretKey,
  makeTempDir,
  signEvent,
  startRelay,
} from './harness.js'
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

// 30,000 events written straight into a store, whose JSON is then overwritten with text that
// does not parse: a COUNT that loaded any event would fail, so exact answers prove it reads none.
describe('relay COUNT over a large store', () => {
  const temp = makeTempDir()
  const databasePath = join(temp.dir, 'relay.sqlite')
  const total = 30_000
  let running: RunningRelay
  let client: RawClient

  beforeAll(async () => {
    const store = openEventStore(databasePath)
    const pubkey = randomBytes(32).toString('hex')
    for (let start = 0; start < total; start += 5000) {
      const batch = Array.from({ length: 5000 }, (_, offset) => ({
        id: randomBytes(32).toString('hex'),
        pubkey,
        kind: 1985,
        created_at: 1_700_000_000 + start + offset,
        tags: [
          ['L', 'fill'],
          ['l', `x${(start + offset) % 50}`],
        ],
        content: 'c'.repeat(200),
        sig: randomBytes(64).toString('hex'),
      }))
      store.saveBatch(batch)
    }
    store.close()
    const db = new Database(databasePath)
    db.prepare("UPDATE events SET json = 'not an event'").run()
    db.close()
    running = await startRelay({ databasePath })
    client = await connectRaw(running.url)
  })

  afterAll(async () => {
    client.socket.close()
    await running.stop()
    temp.remove()
  })

  it.each([
    [[{}], total],
    [Array.from({ length: 10 }, () => ({})), total],
    [[{ kinds: [1985] }, { '#L': ['fill'] }], total],
    [[{ '#l': ['x1'] }], total / 50],
    [
      [{ '#l': ['x1', 'x2'] }, { '#l': ['x2'] }, { '#L': ['fill'], '#l': ['x3'] }],
      (3 * total) / 50,
    ],
    [[{ kinds: [1985], since: 1_700_000_000 + total - 100 }], 100],
  ])('counts %j as %i without loading an event', async (filters, count) => {
    client.send(JSON.stringify(['COUNT', 'big', ...filters]))
    expect(await client.next()).toEqual(['COUNT', 'big', { count }])
  })

  it('has JSON no query can load: a REQ of the same store fails', async () => {
    client.send(JSON.stringify(['REQ', 'r', { limit: 1 }]))
    const answer = (await client.next()) as unknown[]
    expect(answer.slice(0, 2)).toEqual(['CLOSED', 'r'])
  })
})
