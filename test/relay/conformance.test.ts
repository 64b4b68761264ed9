// NIP-01, NIP-09 and NIP-40 conformance over a real WebSocket with a raw client, so every answer
// (OK, EOSE, CLOSED, NOTICE) is seen exactly as the relay sends it: filters, ordering, limits,
// replacement, deletion and expiration.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { NostrEvent } from 'nostr-tools/pure'
import {
  connectRaw,
  generateSecretKey,
  plain,
  signEvent,
  signTiedPair,
  startRelay,
} from './harness.js'
import type { RawClient, RunningRelay } from './harness.js'
import { expectOk, publishRaw, requestRaw } from './raw-protocol.js'

const alice = generateSecretKey()
const bob = generateSecretKey()
const now = (): number => Math.floor(Date.now() / 1000)

let running: RunningRelay
let client: RawClient

beforeEach(async () => {
  running = await startRelay()
  client = await connectRaw(running.url)
})

afterEach(async () => {
  client.socket.close()
  await running.stop()
})

async function publishAll(events: NostrEvent[]): Promise<void> {
  for (const event of events) await expectOk(client, event)
}

describe('relay filters (NIP-01)', () => {
  it('matches ids, authors, #e and #p exactly and since/until inclusively', async () => {
    const target = signEvent(alice, { created_at: 100, content: 'target' })
    const reply = signEvent(bob, {
      created_at: 200,
      tags: [
        ['e', target.id],
        ['p', target.pubkey],
      ],
    })
    const late = signEvent(alice, { created_at: 300 })
    await publishAll([target, reply, late])

    const ids = async (filter: Record<string, unknown>): Promise<string[]> =>
      (await requestRaw(client, 's', [filter])).events.map((event) => event.id)
    expect(await ids({ ids: [target.id] })).toEqual([target.id])
    expect(await ids({ authors: [target.pubkey] })).toEqual([late.id, target.id])
    expect(await ids({ '#e': [target.id] })).toEqual([reply.id])
    expect(await ids({ '#p': [target.pubkey] })).toEqual([reply.id])
    expect(await ids({ since: 200, until: 300 })).toEqual([late.id, reply.id])
    expect(await ids({ since: 100, until: 100 })).toEqual([target.id])
  })

  it('refuses a prefix id, an uppercase author or a short #e with CLOSED invalid:', async () => {
    const filters = [
      { ids: ['abcd'] },
      { authors: ['A'.repeat(64)] },
      { '#e': ['a'.repeat(63)] },
      { '#p': [7] },
    ]
    for (const filter of filters) {
      const answer = await requestRaw(client, 'bad', [filter])
      expect(answer.end).toEqual(['CLOSED', 'bad', expect.stringMatching(/^invalid: filters\[0\]/)])
    }
  })

  it('matches only the first value of a single-letter tag', async () => {
    const event = signEvent(alice, { tags: [['t', 'first', 'second']] })
    await expectOk(client, event)
    expect((await requestRaw(client, 'a', [{ '#t': ['first'] }])).events).toHaveLength(1)
    expect((await requestRaw(client, 'b', [{ '#t': ['second'] }])).events).toHaveLength(0)
  })

  it('ORs filters, applies each limit on its own and orders newest first, lowest id first', async () => {
    const [low, high] = signTiedPair(alice, { created_at: 500 })
    const old = signEvent(alice, { created_at: 400, content: 'old' })
    const other = signEvent(bob, { created_at: 450, kind: 7 })
    await publishAll([high, old, other, low])

    const both = await requestRaw(client, 's', [
      { authors: [old.pubkey], limit: 1 },
      { kinds: [7], limit: 1 },
    ])
    expect(both.events.map((event) => event.id)).toEqual([low.id, other.id])

    const all = await requestRaw(client, 'all', [{ authors: [old.pubkey] }])
    expect(all.events.map((event) => event.id)).toEqual([low.id, high.id, old.id])
  })

  it('answers limit: 0 with EOSE at once and keeps the subscription live', async () => {
    await expectOk(client, signEvent(alice, { content: 'stored' }))
    const answer = await requestRaw(client, 'live', [{ kinds: [1], limit: 0 }], { live: true })
    expect(answer.events).toEqual([])
    expect(answer.end).toEqual(['EOSE', 'live'])

    const sender = await connectRaw(running.url)
    const fresh = signEvent(alice, { content: 'fresh' })
    await expectOk(sender, fresh)
    expect(await client.next()).toEqual(['EVENT', 'live', plain(fresh)])
    sender.socket.close()
  })

  it('replaces a subscription when a REQ reuses its id', async () => {
    await requestRaw(client, 'same', [{ kinds: [1], limit: 0 }], { live: true })
    await requestRaw(client, 'same', [{ kinds: [7], limit: 0 }], { live: true })
    const sender = await connectRaw(running.url)
    const note = signEvent(alice, { kind: 1, content: 'not wanted' })
    const reaction = signEvent(alice, { kind: 7, content: '+' })
    await expectOk(sender, note)
    await expectOk(sender, reaction)
    expect(await client.next()).toEqual(['EVENT', 'same', plain(reaction)])
    sender.socket.close()
  })

  it('answers a refused REQ with CLOSED and keeps serving the connection', async () => {
    const answer = await requestRaw(client, 'x', [{ kinds: ['one'] }])
    expect(answer.end).toEqual([
      'CLOSED',
      'x',
      'invalid: filters[0].kinds[0]: must be an integer from 0 to 65535',
    ])
    expect((await requestRaw(client, 'y', [{ kinds: [1] }])).end).toEqual(['EOSE', 'y'])
  })
})

describe('relay events (NIP-01)', () => {
  it('round-trips content written with every JSON escape and non-BMP characters', async () => {
    const content = 'q " b \\ s / b \b f \f n \n r \r t \t nul \u0000 us \u001f é \u2028 😀 𝄞'
    const event = signEvent(alice, { content })
    // The same event, written with every escape JSON allows, including \/ and \u surrogates.
    const text = JSON.stringify(['EVENT', event])
      .replace('s / b', 's \\/ b')
      .replace('é', '\\u00e9')
      .replace('😀', '\\ud83d\\ude00')
    client.send(text)
    expect(await client.next()).toEqual(['OK', event.id, true, ''])
    const [found] = (await requestRaw(client, 's', [{ ids: [event.id] }])).events
    expect(found?.content).toBe(content)
  })

  it('refuses a kind above 65535 with invalid:', async () => {
    const event = { ...signEvent(alice, {}), kind: 65536 }
    expect(await publishRaw(client, event)).toEqual([
      'OK',
      event.id,
      false,
      'invalid: kind: must be an integer from 0 to 65535',
    ])
  })

  it('answers every EVENT with OK, naming no id when there is none', async () => {
    client.send(JSON.stringify(['EVENT', { content: 'no id' }]))
    expect(await client.next()).toEqual(['OK', '', false, expect.stringMatching(/^invalid: /)])
    client.send(JSON.stringify(['EVENT']))
    expect(await client.next()).toEqual(['OK', '', false, 'invalid: EVENT takes exactly one event'])
  })
})

describe('relay replacement (NIP-01)', () => {
  it.each([
    ['replaceable', { kind: 0 }],
    ['addressable', { kind: 30000, tags: [['d', 'x']] }],
  ])('keeps the lowest id of a %s tie in both arrival orders', async (_name, template) => {
    const [low, high] = signTiedPair(alice, { ...template, created_at: 1000 })
    for (const order of [
      [low, high],
      [high, low],
    ]) {
      const fresh = await startRelay()
      const raw = await connectRaw(fresh.url)
      await expectOk(raw, order[0]!)
      const second = await publishRaw(raw, order[1]!)
      expect(second[2]).toBe(order[1] === low)
      const { events } = await requestRaw(raw, 's', [{ kinds: [template.kind] }])
      expect(events.map((event) => event.id)).toEqual([low.id])
      raw.socket.close()
      await fresh.stop()
    }
  })

  it('answers an older version with OK false duplicate:', async () => {
    await expectOk(client, signEvent(alice, { kind: 10002, created_at: 20 }))
    const older = signEvent(alice, { kind: 10002, created_at: 10 })
    expect(await publishRaw(client, older)).toEqual([
      'OK',
      older.id,
      false,
      'duplicate: have a newer version of this event',
    ])
  })

  it('keys an addressable event by its first d tag: [["d","b"],["d","a"]] is b', async () => {
    const first = signEvent(alice, {
      kind: 30001,
      created_at: 10,
      tags: [
        ['d', 'b'],
        ['d', 'a'],
      ],
    })
    const onlyA = signEvent(alice, { kind: 30001, created_at: 20, tags: [['d', 'a']] })
    const onlyB = signEvent(alice, { kind: 30001, created_at: 30, tags: [['d', 'b']] })
    await publishAll([first, onlyA])
    expect((await requestRaw(client, 's', [{ kinds: [30001] }])).events).toHaveLength(2)
    await expectOk(client, onlyB)
    const { events } = await requestRaw(client, 't', [{ kinds: [30001] }])
    expect(events.map((event) => event.id)).toEqual([onlyB.id, onlyA.id])
    // The address is b, yet a `#d` filter still sees every d tag's first value.
    const byA = await requestRaw(client, 'u', [{ kinds: [30001], '#d': ['a'] }])
    expect(byA.events.map((event) => event.id)).toEqual([onlyA.id])
  })

  it('treats no d tag and an empty d tag as the same address', async () => {
    const none = signEvent(alice, { kind: 30002, created_at: 10 })
    const empty = signEvent(alice, { kind: 30002, created_at: 20, tags: [['d', '']] })
    await publishAll([none, empty])
    const { events } = await requestRaw(client, 's', [{ kinds: [30002] }])
    expect(events.map((event) => event.id)).toEqual([empty.id])
  })
})

describe('relay deletion (NIP-09)', () => {
  it('deletes the author’s own event by e and refuses it afterwards', async () => {
    const note = signEvent(alice, { content: 'regret' })
    const deletion = signEvent(alice, {
      kind: 5,
      created_at: 1_700_000_100,
      tags: [['e', note.id]],
    })
    await publishAll([note, deletion])
    expect((await requestRaw(client, 's', [{ ids: [note.id] }])).events).toEqual([])
    expect(await publishRaw(client, note)).toEqual([
      'OK',
      note.id,
      false,
      'blocked: this event was deleted by its author',
    ])
  })

  it('deletes by a only the versions up to its created_at and blocks their return', async () => {
    const address = `30078:${signEvent(alice, {}).pubkey}:notes`
    const version = (created_at: number): NostrEvent =>
      signEvent(alice, {
        kind: 30078,
        created_at,
        tags: [['d', 'notes']],
        content: `${created_at}`,
      })
    const v1 = version(100)
    await expectOk(client, v1)
    await expectOk(client, signEvent(alice, { kind: 5, created_at: 150, tags: [['a', address]] }))

    expect((await requestRaw(client, 's', [{ kinds: [30078] }])).events).toEqual([])
    expect((await publishRaw(client, v1))[3]).toBe('blocked: this event was deleted by its author')
    expect((await publishRaw(client, version(150)))[2]).toBe(false)

    const v2 = version(200)
    await expectOk(client, v2)
    await expectOk(client, signEvent(alice, { kind: 5, created_at: 160, tags: [['a', address]] }))
    const { events } = await requestRaw(client, 't', [{ kinds: [30078] }])
    expect(events.map((event) => event.id)).toEqual([v2.id])
  })

  it('refuses an event, or a version, that arrives after its deletion', async () => {
    const note = signEvent(alice, { content: 'late' })
    const address = `30078:${note.pubkey}:early`
    const version = (created_at: number): NostrEvent =>
      signEvent(alice, { kind: 30078, created_at, tags: [['d', 'early']] })
    await publishAll([
      signEvent(alice, { kind: 5, created_at: 150, tags: [['e', note.id]] }),
      signEvent(alice, { kind: 5, created_at: 150, tags: [['a', address]] }),
    ])
    expect((await publishRaw(client, note))[3]).toBe(
      'blocked: this event was deleted by its author',
    )
    expect((await publishRaw(client, version(100)))[3]).toBe(
      'blocked: this event was deleted by its author',
    )
    await expectOk(client, version(151))
  })

  it('keeps a deletion in force when the deletion itself is deleted', async () => {
    const note = signEvent(alice, { content: 'gone for good' })
    const deletion = signEvent(alice, { kind: 5, created_at: 200, tags: [['e', note.id]] })
    const undo = signEvent(alice, { kind: 5, created_at: 300, tags: [['e', deletion.id]] })
    await publishAll([note, deletion, undo])
    // NIP-09: deleting a deletion has no effect; the note stays deleted.
    expect((await publishRaw(client, note))[3]).toBe(
      'blocked: this event was deleted by its author',
    )
    expect((await requestRaw(client, 's', [{ ids: [note.id] }])).events).toEqual([])
  })

  it('ignores another author’s deletion by e and by a', async () => {
    const note = signEvent(alice, { content: 'mine' })
    const setting = signEvent(alice, { kind: 30078, created_at: 100, tags: [['d', 'mine']] })
    const address = `30078:${note.pubkey}:mine`
    const forged = signEvent(bob, {
      kind: 5,
      created_at: 200,
      tags: [
        ['e', note.id],
        ['a', address],
      ],
    })
    await publishAll([note, setting, forged])
    const { events } = await requestRaw(client, 's', [{ authors: [note.pubkey] }])
    expect(events.map((event) => event.id).sort()).toEqual([note.id, setting.id].sort())
    expect(await publishRaw(client, note)).toEqual(['OK', note.id, true, expect.any(String)])
  })
})

describe('relay refusals (NIP-01)', () => {
  // NIP-01's prefixes for OK and CLOSED (NIP-42 adds auth-required:, NIP-77 closed: for NEG-ERR).
  const STANDARD =
    /^(duplicate|pow|blocked|rate-limited|invalid|restricted|mute|error|auth-required|closed): /

  it('uses only the standard reason prefixes, in OK, CLOSED, NEG-ERR and NOTICE alike', async () => {
    const note = signEvent(alice, { content: 'x' })
    const frames: unknown[] = [
      '["EVENT", {',
      ['EVENT', { ...note, sig: '0'.repeat(128) }],
      ['EVENT', { ...note, kind: 70000 }],
      ['EVENT', signEvent(alice, { tags: [['expiration', '1']] })],
      ['EVENT', signEvent(alice, { kind: 22242 })],
      ['EVENT', signEvent(alice, { created_at: now() + 3600 })],
      ['REQ', 'r', { kinds: [-1] }],
      ['REQ', 'x'.repeat(65), {}],
      ['COUNT', 'c', { ids: ['short'] }],
      ['NEG-OPEN', 'n', { kinds: ['x'] }, '61'],
      ['NEG-MSG', 'none', '61'],
      ['AUTH', signEvent(alice, { kind: 22242 })],
      ['UNKNOWN'],
    ]
    for (const frame of frames) {
      client.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
      const answer = await client.next()
      const reason = answer[0] === 'OK' ? answer[3] : answer[0] === 'NOTICE' ? answer[1] : answer[2]
      expect(reason, JSON.stringify(answer)).toMatch(STANDARD)
    }
  })
})

describe('relay expiration (NIP-40)', () => {
  it('refuses an event that has already expired', async () => {
    const event = signEvent(alice, { tags: [['expiration', String(now() - 1)]] })
    expect(await publishRaw(client, event)).toEqual([
      'OK',
      event.id,
      false,
      'invalid: this event has expired',
    ])
  })

  it('refuses an expiration that is not a Unix time', async () => {
    const event = signEvent(alice, { tags: [['expiration', 'soon']] })
    expect((await publishRaw(client, event))[3]).toBe(
      'invalid: expiration: must be a Unix time in seconds, got "soon"',
    )
  })

  it('stops serving an expired version without it hiding an older one', async () => {
    const expiresAt = now() + 2
    const tags = [['d', 'x']]
    const soon = signEvent(alice, {
      kind: 30003,
      created_at: now(),
      tags: [...tags, ['expiration', String(expiresAt)]],
    })
    const earlier = signEvent(alice, { kind: 30003, created_at: now() - 60, tags })
    await expectOk(client, soon)
    expect((await publishRaw(client, earlier))[2]).toBe(false)

    // Waits for the clock to pass the expiration (NIP-40 counts whole seconds).
    while (now() <= expiresAt) await new Promise((resolve) => setTimeout(resolve, 100))
    expect((await requestRaw(client, 's', [{ kinds: [30003] }])).events).toEqual([])
    await expectOk(client, earlier)
    const { events } = await requestRaw(client, 't', [{ kinds: [30003] }])
    expect(events.map((event) => event.id)).toEqual([earlier.id])
  })
})
