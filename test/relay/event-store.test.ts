// The event store seen through the wire: replaceable and addressable replacement (NIP-01), and
// persistence of events and of replacement state across a close and reopen of the same file.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { NostrEvent } from 'nostr-tools/pure'
import type { Relay as RelayClient } from 'nostr-tools/relay'
import {
  connectClient,
  fetchEvents,
  generateSecretKey,
  makeTempDir,
  signEvent,
  signTiedPair,
  startRelay,
} from './harness.js'
import type { RunningRelay } from './harness.js'

const NEWER_VERSION = /^duplicate: have a newer version/

describe('event store replacement', () => {
  const secretKey = generateSecretKey()
  let running: RunningRelay
  let client: RelayClient

  beforeEach(async () => {
    running = await startRelay()
    client = await connectClient(running.url)
  })

  afterEach(async () => {
    client.close()
    await running.stop()
  })

  async function storedIds(kind: number): Promise<string[]> {
    const events = await fetchEvents(client, [{ kinds: [kind] }])
    return events.map((event) => event.id)
  }

  it.each([0, 3, 10002])('keeps only the newest kind %i event per pubkey', async (kind) => {
    const older = signEvent(secretKey, { kind, created_at: 100 })
    const newer = signEvent(secretKey, { kind, created_at: 200 })
    await client.publish(older)
    await client.publish(newer)
    expect(await storedIds(kind)).toEqual([newer.id])
  })

  it('refuses an older version with OK false and a duplicate: message', async () => {
    const newer = signEvent(secretKey, { kind: 0, created_at: 200 })
    const older = signEvent(secretKey, { kind: 0, created_at: 100 })
    await client.publish(newer)
    await expect(client.publish(older)).rejects.toThrow(NEWER_VERSION)
    expect(await storedIds(0)).toEqual([newer.id])
  })

  it('keeps the lower id on equal created_at when it arrives first', async () => {
    const [low, high] = signTiedPair(secretKey, { kind: 10000, created_at: 500 })
    await client.publish(low)
    await expect(client.publish(high)).rejects.toThrow(NEWER_VERSION)
    expect(await storedIds(10000)).toEqual([low.id])
  })

  it('replaces with the lower id on equal created_at when it arrives second', async () => {
    const [low, high] = signTiedPair(secretKey, { kind: 10000, created_at: 500 })
    await client.publish(high)
    await expect(client.publish(low)).resolves.toBe('')
    expect(await storedIds(10000)).toEqual([low.id])
  })

  it('applies the tie-break to addressable events too', async () => {
    const tags = [['d', 'app']]
    const [low, high] = signTiedPair(secretKey, { kind: 30078, created_at: 500, tags })
    await client.publish(high)
    await client.publish(low)
    await expect(client.publish(high)).rejects.toThrow(NEWER_VERSION)
    expect(await storedIds(30078)).toEqual([low.id])
  })

  it('keys an addressable event by the first d tag only', async () => {
    const both = signEvent(secretKey, {
      kind: 30078,
      created_at: 100,
      tags: [
        ['d', 'b'],
        ['d', 'a'],
      ],
    })
    const keyedA = signEvent(secretKey, { kind: 30078, created_at: 200, tags: [['d', 'a']] })
    await client.publish(both)
    await client.publish(keyedA)
    expect(await storedIds(30078)).toEqual([keyedA.id, both.id])

    const keyedB = signEvent(secretKey, { kind: 30078, created_at: 300, tags: [['d', 'b']] })
    await client.publish(keyedB)
    expect(await storedIds(30078)).toEqual([keyedB.id, keyedA.id])
  })

  it('treats a missing d tag, an empty d and a valueless d tag as one address', async () => {
    const missing = signEvent(secretKey, { kind: 30001, created_at: 100 })
    const empty = signEvent(secretKey, { kind: 30001, created_at: 200, tags: [['d', '']] })
    const valueless = signEvent(secretKey, { kind: 30001, created_at: 300, tags: [['d']] })
    await client.publish(missing)
    await client.publish(empty)
    expect(await storedIds(30001)).toEqual([empty.id])
    await client.publish(valueless)
    expect(await storedIds(30001)).toEqual([valueless.id])
    await expect(client.publish(missing)).rejects.toThrow(NEWER_VERSION)
  })

  it('keeps separate versions for other pubkeys, kinds and d values', async () => {
    const events: NostrEvent[] = [
      signEvent(secretKey, { kind: 30078, created_at: 100, tags: [['d', 'x']] }),
      signEvent(generateSecretKey(), { kind: 30078, created_at: 200, tags: [['d', 'x']] }),
      signEvent(secretKey, { kind: 30079, created_at: 300, tags: [['d', 'x']] }),
      signEvent(secretKey, { kind: 30078, created_at: 400, tags: [['d', 'y']] }),
    ]
    for (const event of events) await client.publish(event)
    const found = await fetchEvents(client, [{ kinds: [30078, 30079] }])
    expect(found.map((e) => e.id)).toEqual(events.map((e) => e.id).reverse())
  })

  it('never replaces regular events', async () => {
    const first = signEvent(secretKey, { kind: 1, created_at: 100, content: 'a' })
    const second = signEvent(secretKey, { kind: 1, created_at: 200, content: 'b' })
    await client.publish(first)
    await client.publish(second)
    expect(await storedIds(1)).toEqual([second.id, first.id])
  })
})

describe('event store persistence', () => {
  it('serves events and refuses older versions after the database is reopened', async () => {
    const temp = makeTempDir()
    const databasePath = join(temp.dir, 'relay.sqlite')
    const secretKey = generateSecretKey()
    const note = signEvent(secretKey, { kind: 1, created_at: 100, tags: [['t', 'kept']] })
    const profile = signEvent(secretKey, { kind: 0, created_at: 200 })

    const first = await startRelay({ databasePath })
    const writer = await connectClient(first.url)
    await writer.publish(note)
    await writer.publish(profile)
    writer.close()
    await first.stop()

    const second = await startRelay({ databasePath })
    const reader = await connectClient(second.url)
    try {
      const found = await fetchEvents(reader, [{ '#t': ['kept'] }, { kinds: [0] }])
      expect(found.map((e) => e.id)).toEqual([profile.id, note.id])
      const older = signEvent(secretKey, { kind: 0, created_at: 100 })
      await expect(reader.publish(older)).rejects.toThrow(NEWER_VERSION)
      await expect(reader.publish(note)).resolves.toMatch(/^duplicate: /)
    } finally {
      reader.close()
      await second.stop()
      temp.remove()
    }
  })
})
