// The relay's event path over a real WebSocket with nostr-tools as the client: OK answers,
// integrity checks, ephemeral events, local publish, onStored and SimplePool interoperability.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { SimplePool } from 'nostr-tools/pool'
import type { NostrEvent } from 'nostr-tools/pure'
import type { Relay as RelayClient } from 'nostr-tools/relay'
import {
  connectClient,
  connectRaw,
  fetchEvents,
  generateSecretKey,
  plain,
  signEvent,
  startRelay,
} from './harness.js'
import type { RunningRelay } from './harness.js'

describe('relay', () => {
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

  it('stores a published event and serves it back unchanged', async () => {
    const event = signEvent(secretKey, { content: 'hello', tags: [['t', 'greeting']] })
    await expect(client.publish(event)).resolves.toBe('')

    const events = await fetchEvents(client, [{ ids: [event.id] }])
    expect(events.map(plain)).toEqual([plain(event)])
  })

  it('round-trips content with every JSON escape and non-BMP characters', async () => {
    const content = 'quote " backslash \\ newline \n tab \t nul \u0000 \u2028 emoji 😀 𝄞 é'
    const event = signEvent(secretKey, { content, tags: [['t', '😀']] })
    await expect(client.publish(event)).resolves.toBe('')
    const [found] = await fetchEvents(client, [{ '#t': ['😀'] }])
    expect(found?.content).toBe(content)
    expect(found?.id).toBe(event.id)
  })

  it('answers a second copy with OK true and a duplicate: message, storing it once', async () => {
    const event = signEvent(secretKey, { content: 'twice' })
    await client.publish(event)
    await expect(client.publish(event)).resolves.toMatch(/^duplicate: /)
    expect(running.relay.query([{ authors: [event.pubkey] }])).toHaveLength(1)
  })

  it('refuses an event whose id is not its hash', async () => {
    const event = signEvent(secretKey, { content: 'original' })
    const forged = { ...event, content: 'changed after signing' }
    await expect(client.publish(forged)).rejects.toThrow(/^invalid: event id does not match/)
    expect(running.relay.query([{ ids: [event.id] }])).toEqual([])
  })

  it('refuses an event whose signature does not verify', async () => {
    const event = signEvent(secretKey, { content: 'signed' })
    const other = signEvent(generateSecretKey(), { content: 'signed' })
    const forged = { ...event, sig: other.sig }
    await expect(client.publish(forged)).rejects.toThrow(/^invalid: signature does not verify/)
    expect(running.relay.query([{ ids: [event.id] }])).toEqual([])
  })

  it('broadcasts an ephemeral event to live subscribers without storing it', async () => {
    const live = new Promise<NostrEvent>((resolve) => {
      client.subscribe([{ kinds: [20001] }], { onevent: resolve })
    })
    const sender = await connectClient(running.url)
    const event = signEvent(secretKey, { kind: 20001, content: 'passing through' })
    await expect(sender.publish(event)).resolves.toBe('')
    sender.close()

    await expect(live).resolves.toMatchObject({ id: event.id })
    expect(running.relay.query([{ kinds: [20001] }])).toEqual([])
  })

  it('sends a locally published event to live WebSocket subscribers', async () => {
    const live = new Promise<NostrEvent>((resolve) => {
      client.subscribe([{ kinds: [7] }], { onevent: resolve })
    })
    await fetchEvents(client, [{ limit: 0 }]) // a round trip: the REQ above is registered
    const event = signEvent(secretKey, { kind: 7, content: '+' })
    await expect(running.relay.publish(event)).resolves.toEqual({ accepted: true, message: '' })
    await expect(live).resolves.toMatchObject({ id: event.id })
  })

  it('applies the same checks to a local publish as to a client EVENT', async () => {
    const event = signEvent(secretKey, { content: 'x' })
    const result = await running.relay.publish({ ...event, kind: 70000 })
    expect(result).toEqual({
      accepted: false,
      message: 'invalid: kind: must be an integer from 0 to 65535',
    })
  })

  it('calls onStored after commit, once per newly stored event only', async () => {
    const seen: Array<{ id: string; committed: boolean }> = []
    const reader = new Database(running.databasePath, { readonly: true })
    const unsubscribe = running.relay.onStored((event) => {
      const row = reader.prepare('SELECT 1 FROM events WHERE id = ?').get(event.id)
      seen.push({ id: event.id, committed: row !== undefined })
    })

    const stored = signEvent(secretKey, { content: 'stored' })
    await client.publish(stored)
    await client.publish(stored)
    await client.publish(signEvent(secretKey, { kind: 20002 }))
    unsubscribe()
    await client.publish(signEvent(secretKey, { content: 'after unsubscribe' }))
    reader.close()

    expect(seen).toEqual([{ id: stored.id, committed: true }])
  })

  it('keeps serving when an onStored listener throws', async () => {
    running.relay.onStored(() => {
      throw new Error('listener failure')
    })
    const event = signEvent(secretKey, { content: 'still fine' })
    await expect(client.publish(event)).resolves.toBe('')
    expect(await fetchEvents(client, [{ ids: [event.id] }])).toHaveLength(1)
  })

  it('works with SimplePool for publish and query', async () => {
    const pool = new SimplePool()
    const event = signEvent(secretKey, { kind: 1, content: 'pooled', tags: [['t', 'pool']] })
    await Promise.all(pool.publish([running.url], event))
    const found = await pool.querySync([running.url], { '#t': ['pool'] })
    pool.close([running.url])
    expect(found.map((e) => e.id)).toEqual([event.id])
  })

  it('closes client sockets with 1001 and refuses publishes once closed', async () => {
    const raw = await connectRaw(running.url)
    await running.relay.close()
    await expect(raw.closed).resolves.toBe(1001)
    const result = await running.relay.publish(signEvent(secretKey, {}))
    expect(result).toEqual({ accepted: false, message: 'error: the relay is closed' })
  })
})
