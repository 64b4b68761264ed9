// NIP-77 on the relay over a real WebSocket: nostr-tools' NegentropySync against our responder,
// every refusal answered with NEG-ERR, and the limits (sessions, events, frame size) as options.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nip77 } from 'nostr-tools'
import type { NostrEvent } from 'nostr-tools/pure'
import { createNegentropy } from '../../relay/negentropy.js'
import { fromHex, toHex } from '../../relay/negentropy-wire.js'
import { connectClient, connectRaw, generateSecretKey, signEvent, startRelay } from './harness.js'
import type { RawClient, RunningRelay } from './harness.js'

const { NegentropyStorageVector, NegentropySync } = nip77

describe('relay negentropy (NIP-77)', () => {
  const author = generateSecretKey()
  let running: RunningRelay
  let client: RawClient
  const onRelay: NostrEvent[] = []
  const onClient: NostrEvent[] = []

  beforeAll(async () => {
    running = await startRelay()
    // 100 events both hold, 20 only the relay holds, 10 only the client holds.
    for (let i = 0; i < 130; i++) {
      const event = signEvent(author, {
        kind: 1984,
        content: `report ${i}`,
        created_at: 1_700_000_000 + i,
      })
      if (i < 120) {
        await running.relay.publish(event)
        onRelay.push(event)
      }
      if (i < 100 || i >= 120) onClient.push(event)
    }
    await running.relay.publish(signEvent(author, { kind: 0, content: '{}' }))
    client = await connectRaw(running.url)
  })

  afterAll(async () => {
    client.socket.close()
    await running.stop()
  })

  it(
    'syncs with nostr-tools NegentropySync: ' + 'what each side lacks, for the filter only',
    async () => {
      const relay = await connectClient(running.url)
      const storage = new NegentropyStorageVector()
      for (const event of onClient) storage.insert(event.created_at, event.id)
      storage.seal()

      const have: string[] = []
      const need: string[] = []
      const done = new Promise<string | undefined>((resolve) => {
        const sync = new NegentropySync(
          relay,
          storage,
          { kinds: [1984] },
          {
            onhave: (id: string) => have.push(id),
            onneed: (id: string) => need.push(id),
            onclose: (reason?: string) => resolve(reason),
          },
        )
        void sync.start()
      })

      await expect(done).resolves.toBeUndefined()
      expect(have.sort()).toEqual(
        onClient
          .slice(100)
          .map((event) => event.id)
          .sort(),
      )
      expect(need.sort()).toEqual(
        onRelay
          .slice(100)
          .map((event) => event.id)
          .sort(),
      )
      relay.close()
    },
  )

  it.each([
    [['NEG-OPEN', 'n', { kinds: ['x'] }, '61'], /^invalid: filters\[0\]\.kinds\[0\]: /],
    [['NEG-OPEN', 'n', { kinds: [1984] }, 'zz'], /^invalid: message: must be an even number/],
    [['NEG-OPEN', 'n', { kinds: [1984] }, '6100'], /^invalid: negentropy: message ends/],
    [['NEG-OPEN', 'x'.repeat(65), {}, '61'], /^invalid: subscription id must be 1 to 64/],
    [['NEG-MSG', 'unknown', '61'], /^closed: no open negentropy session/],
  ])('answers %j with NEG-ERR', async (message, reason) => {
    client.send(JSON.stringify(message))
    const reply = await client.next()
    expect(reply.slice(0, 2)).toEqual(['NEG-ERR', message[1]])
    expect(reply[2]).toMatch(reason)
  })

  it('refuses a NEG-OPEN past the open-session limit with NEG-ERR blocked:', async () => {
    const raw = await connectRaw(running.url)
    for (const id of ['a', 'b', 'c', 'd']) {
      raw.send(JSON.stringify(['NEG-OPEN', id, { kinds: [1984] }, '61']))
      expect((await raw.next())[0]).toBe('NEG-MSG')
    }
    raw.send(JSON.stringify(['NEG-OPEN', 'e', { kinds: [1984] }, '61']))
    expect(await raw.next()).toEqual([
      'NEG-ERR',
      'e',
      'blocked: too many open negentropy sessions (max 4)',
    ])

    // NEG-CLOSE frees a place; a NEG-OPEN reusing an open id replaces that session.
    raw.send(JSON.stringify(['NEG-CLOSE', 'a']))
    raw.send(JSON.stringify(['NEG-OPEN', 'b', { kinds: [1984] }, '61']))
    raw.send(JSON.stringify(['NEG-OPEN', 'e', { kinds: [1984] }, '61']))
    expect((await raw.next())[0]).toBe('NEG-MSG')
    expect((await raw.next()).slice(0, 2)).toEqual(['NEG-MSG', 'e'])
    raw.socket.close()
  })

  it('answers an unknown protocol version with its own version', async () => {
    client.send(JSON.stringify(['NEG-OPEN', 'v', { kinds: [1984] }, '62']))
    expect(await client.next()).toEqual(['NEG-MSG', 'v', '61'])
  })

  it(
    'answers a malformed NEG-OPEN with NEG-ERR ' + 'when its id is readable, else a NOTICE',
    async () => {
      client.send(JSON.stringify(['NEG-OPEN', 'n', {}]))
      expect(await client.next()).toEqual([
        'NEG-ERR',
        'n',
        'invalid: NEG-OPEN takes a subscription id, a filter and a message',
      ])
      client.send(JSON.stringify(['NEG-OPEN', 7, {}, '61']))
      expect(await client.next()).toEqual([
        'NOTICE',
        'invalid: NEG-OPEN needs a subscription id string as its second element',
      ])
    },
  )
})

describe('relay negentropy limits', () => {
  const author = generateSecretKey()
  let running: RunningRelay
  const reports: NostrEvent[] = []

  beforeAll(async () => {
    running = await startRelay({
      negentropy: { maxSessions: 1, maxRecords: 250, frameSizeLimit: 4096 },
    })
    // 200 reports (6,400 bytes of ids: more than one frame) and 100 labels.
    for (let i = 0; i < 300; i++) {
      const kind = i < 200 ? 1984 : 1985
      const event = signEvent(author, { kind, content: `${i}`, created_at: 1_700_000_000 + i })
      await running.relay.publish(event)
      if (kind === 1984) reports.push(event)
    }
  })

  afterAll(async () => {
    await running.stop()
  })

  it(
    'keeps every NEG-MSG within the frame size limit, ' + 'over as many rounds as it takes',
    async () => {
      const raw = await connectRaw(running.url)
      const initiator = createNegentropy([], 'initiator')
      const need: string[] = []
      raw.send(JSON.stringify(['NEG-OPEN', 'f', { kinds: [1984] }, toHex(initiator.initiate())]))
      let rounds = 0
      for (;;) {
        const [type, id, hex] = (await raw.next()) as [string, string, string]
        expect([type, id]).toEqual(['NEG-MSG', 'f'])
        expect(hex.length / 2).toBeLessThanOrEqual(4096)
        rounds++
        const result = initiator.reconcile(fromHex(hex, 'NEG-MSG'))
        need.push(...result.need)
        if (result.message === null) break
        raw.send(JSON.stringify(['NEG-MSG', 'f', toHex(result.message)]))
      }
      raw.send(JSON.stringify(['NEG-CLOSE', 'f']))
      expect(rounds).toBeGreaterThan(1)
      expect([...new Set(need)].sort()).toEqual(reports.map((event) => event.id).sort())
      raw.socket.close()
    },
  )

  it('syncs nostr-tools NegentropySync through frame-limited answers', async () => {
    const relay = await connectClient(running.url)
    const storage = new NegentropyStorageVector()
    storage.seal()
    const need = new Set<string>()
    const reason = await new Promise<string | undefined>((resolve) => {
      const sync = new NegentropySync(
        relay,
        storage,
        { kinds: [1984] },
        { onneed: (id: string) => need.add(id), onclose: resolve },
      )
      void sync.start()
    })
    expect(reason).toBeUndefined()
    expect([...need].sort()).toEqual(reports.map((event) => event.id).sort())
    relay.close()
  })

  it(
    'refuses a NEG-OPEN selecting more than maxRecords events, ' + 'and one session too many',
    async () => {
      const raw = await connectRaw(running.url)
      raw.send(JSON.stringify(['NEG-OPEN', 'all', { kinds: [1984, 1985] }, '61']))
      expect(await raw.next()).toEqual([
        'NEG-ERR',
        'all',
        'blocked: this query selects more than 250 events',
      ])
      raw.send(JSON.stringify(['NEG-OPEN', 'one', { kinds: [1985] }, '61']))
      expect((await raw.next()).slice(0, 2)).toEqual(['NEG-MSG', 'one'])
      raw.send(JSON.stringify(['NEG-OPEN', 'two', { kinds: [1985] }, '61']))
      expect(await raw.next()).toEqual([
        'NEG-ERR',
        'two',
        'blocked: too many open negentropy sessions (max 1)',
      ])
      raw.socket.close()
    },
  )

  it.each([
    [{ frameSizeLimit: 100 }, 'negentropy.frameSizeLimit: must be 0 (no limit) or at least 4096'],
    [{ maxSessions: -1 }, 'negentropy.maxSessions: must be a whole number (0 turns NIP-77 off)'],
    [{ maxRecords: 0 }, 'negentropy.maxRecords: must be a positive integer, got 0'],
  ])('refuses to start with %j, naming the limit', async (negentropy, message) => {
    await expect(startRelay({ negentropy })).rejects.toThrow(message)
  })
})
