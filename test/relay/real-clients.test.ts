// Real Nostr clients against the relay over a real WebSocket: nostr-tools' SimplePool and NDK
// publish, subscribe, fetch and count (NIP-45), each seeing the other's events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import NDK, { NDKEvent, NDKPrivateKeySigner } from '@nostr-dev-kit/ndk'
import type { NDKFilter } from '@nostr-dev-kit/ndk'
import { SimplePool } from 'nostr-tools/pool'
import { bytesToHex } from 'nostr-tools/utils'
import type { NostrEvent } from 'nostr-tools/pure'
import { generateSecretKey, plain, signEvent, startRelay } from './harness.js'
import type { RunningRelay } from './harness.js'

// NDK opens sockets with the global WebSocket, which Node 20 does not have.
;(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket

let running: RunningRelay
let ndk: NDK
let pool: SimplePool

beforeAll(async () => {
  running = await startRelay()
  pool = new SimplePool()
  ndk = new NDK({
    explicitRelayUrls: [running.url],
    signer: new NDKPrivateKeySigner(bytesToHex(generateSecretKey())),
  })
  await ndk.connect(5000)
})

afterAll(async () => {
  pool.destroy()
  for (const relay of ndk.pool.relays.values()) relay.disconnect()
  await running.stop()
})

describe('real clients', () => {
  it('publishes with NDK and reads back with SimplePool', async () => {
    const note = new NDKEvent(ndk, { kind: 1, content: 'from NDK', tags: [['t', 'ndk']] })
    const relays = await note.publish()
    expect([...relays].map((relay) => relay.url)).toEqual([running.url])

    const found = await pool.querySync([running.url], { '#t': ['ndk'] })
    expect(found.map((event) => event.id)).toEqual([note.id])
    expect(found[0]?.content).toBe('from NDK')
  })

  it('publishes with SimplePool and fetches with NDK', async () => {
    const event = signEvent(generateSecretKey(), {
      content: 'from nostr-tools',
      tags: [['t', 'nt']],
    })
    await Promise.all(pool.publish([running.url], event))

    const filter: NDKFilter = { '#t': ['nt'] }
    const fetched = await ndk.fetchEvents(filter)
    expect([...fetched].map((found) => found.rawEvent())).toEqual([
      expect.objectContaining(plain(event)),
    ])
  })

  it('delivers a live event to an NDK subscription and a SimplePool subscription', async () => {
    const tag = `live-${Date.now()}`
    let ndkReady!: () => void
    const ndkOpen = new Promise<void>((resolve) => (ndkReady = resolve))
    const viaNdk = new Promise<string>((resolve) => {
      const subscription = ndk.subscribe({ '#t': [tag] }, { closeOnEose: false, groupable: false })
      subscription.on('eose', () => ndkReady())
      subscription.on('event', (event: NDKEvent) => resolve(event.id))
    })
    let poolReady!: () => void
    const poolOpen = new Promise<void>((resolve) => (poolReady = resolve))
    const viaPool = new Promise<NostrEvent>((resolve) => {
      const subscription = pool.subscribeMany(
        [running.url],
        { '#t': [tag] },
        {
          oneose: () => poolReady(),
          onevent: (event) => {
            resolve(event)
            subscription.close()
          },
        },
      )
    })
    await Promise.all([ndkOpen, poolOpen])

    const event = signEvent(generateSecretKey(), { content: 'live', tags: [['t', tag]] })
    await Promise.all(pool.publish([running.url], event))
    expect(await viaNdk).toBe(event.id)
    expect((await viaPool).id).toBe(event.id)
  })

  it('counts with NDK and with a nostr-tools relay client', async () => {
    const tag = `count-${Date.now()}`
    const author = generateSecretKey()
    for (const created_at of [1, 2, 3]) {
      const event = signEvent(author, { created_at, tags: [['t', tag]] })
      await Promise.all(pool.publish([running.url], event))
    }
    const result = await ndk.count([{ '#t': [tag] }])
    expect(result.count).toBe(3)
    const relay = await pool.ensureRelay(running.url)
    await expect(relay.count([{ '#t': [tag], since: 2 }], {})).resolves.toBe(2)
  })

  it('shows an NDK client the relay refusing an event', async () => {
    const long = new NDKEvent(ndk, { kind: 1, content: 'x'.repeat(300 * 1024) })
    await expect(long.publish()).rejects.toThrow()
  })
})
