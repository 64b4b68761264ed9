// The write policy and the limits over a real WebSocket: a registry node's accepted kinds and
// NIP-78 namespaces, the release-version rule, per-event limits, rate limits, and what NIP-11
// advertises for them.
import { afterEach, describe, expect, it } from 'vitest'
import type { NostrEvent } from 'nostr-tools/pure'
import {
  acceptOnlyAppDataNamespaces,
  acceptOnlyKinds,
  REGISTRY_APP_DATA_NAMESPACES,
  REGISTRY_KINDS,
} from '../../relay/index.js'
import type { RelayLimits } from '../../relay/index.js'
import { connectRaw, generateSecretKey, signEvent, startRelay } from './harness.js'
import type { RawClient, RunningRelay } from './harness.js'
import { expectOk, publishRaw, requestRaw } from './raw-protocol.js'

const alice = generateSecretKey()
const now = (): number => Math.floor(Date.now() / 1000)

let running: RunningRelay | undefined
let client: RawClient | undefined

afterEach(async () => {
  client?.socket.close()
  await running?.stop()
  running = client = undefined
})

async function open(limits: Partial<RelayLimits> = {}): Promise<RawClient> {
  running = await startRelay({
    limits,
    policies: [
      acceptOnlyKinds(REGISTRY_KINDS),
      acceptOnlyAppDataNamespaces(REGISTRY_APP_DATA_NAMESPACES),
    ],
  })
  client = await connectRaw(running.url)
  return client
}

function release(version: string, created_at: number, app = 'web'): NostrEvent {
  return signEvent(alice, {
    kind: 30078,
    created_at,
    tags: [
      ['d', `archipelago-app:${app}`],
      ['version', version],
    ],
    content: '{}',
  })
}

describe('registry write policy', () => {
  it.each([
    ['kind 1', { kind: 1 }, 'blocked: kind 1 is not accepted by this relay'],
    ['kind 7', { kind: 7 }, 'blocked: kind 7 is not accepted by this relay'],
    [
      'kind 30078 outside the namespaces',
      { kind: 30078, tags: [['d', 'other-app:settings']] },
      'blocked: kind 30078 is accepted only with a d tag in archipelago-app:, archipelago-catalog',
    ],
    [
      'kind 30078 with a d that only starts like the catalog',
      { kind: 30078, tags: [['d', 'archipelago-catalog-2']] },
      'blocked: kind 30078 is accepted only with a d tag in archipelago-app:, archipelago-catalog',
    ],
    ['an auth event', { kind: 22242 }, 'invalid: kind 22242 is sent in an AUTH message'],
  ])('refuses %s', async (_name, template, message) => {
    const raw = await open()
    const event = signEvent(alice, template)
    expect(await publishRaw(raw, event)).toEqual(['OK', event.id, false, message])
    expect((await requestRaw(raw, 's', [{ ids: [event.id] }])).events).toEqual([])
  })

  it.each([
    ['a profile', { kind: 0 }],
    ['a follow list', { kind: 3 }],
    ['a deletion', { kind: 5 }],
    ['a report', { kind: 1984 }],
    ['a label', { kind: 1985 }],
    ['a mute list', { kind: 10000 }],
    ['a relay list', { kind: 10002 }],
    ['a catalog announcement', { kind: 30078, tags: [['d', 'archipelago-catalog']] }],
    ['a release', { kind: 30078, tags: [['d', 'archipelago-app:web']] }],
    ['a trust assertion', { kind: 30382, tags: [['d', 'a'.repeat(64)]] }],
  ])('accepts %s', async (_name, template) => {
    const raw = await open()
    await expectOk(raw, signEvent(alice, template))
  })

  it('applies to local publishes too', async () => {
    await open()
    const note = signEvent(alice, { kind: 1 })
    expect(await running?.relay.publish(note)).toEqual({
      accepted: false,
      message: 'blocked: kind 1 is not accepted by this relay',
    })
  })
})

describe('release-version rule (DESIGN.md §4)', () => {
  it('refuses a newer event whose version is not higher than the stored one', async () => {
    const raw = await open()
    await expectOk(raw, release('1.2.0', 100))
    for (const version of ['1.2.0', '1.1.9', '1.2.0-rc.1', 'one']) {
      const event = release(version, 200)
      const [, , accepted, message] = await publishRaw(raw, event)
      expect(accepted).toBe(false)
      expect(message).toMatch(/^invalid: version/)
    }
    const higher = release('1.10.0', 300)
    await expectOk(raw, higher)
    const { events } = await requestRaw(raw, 's', [{ kinds: [30078] }])
    expect(events.map((event) => event.id)).toEqual([higher.id])
  })

  it('says which versions it compared', async () => {
    const raw = await open()
    await expectOk(raw, release('2.0.0', 100))
    const lower = release('1.0.0', 200)
    expect((await publishRaw(raw, lower))[3]).toBe(
      'invalid: version 1.0.0 is not higher than 2.0.0, stored at this address',
    )
  })

  it('judges each address alone and leaves other kind 30078 namespaces alone', async () => {
    const raw = await open()
    await expectOk(raw, release('2.0.0', 100, 'web'))
    await expectOk(raw, release('1.0.0', 200, 'db'))
    const catalog = (created_at: number): NostrEvent =>
      signEvent(alice, { kind: 30078, created_at, tags: [['d', 'archipelago-catalog']] })
    await expectOk(raw, catalog(100))
    await expectOk(raw, catalog(200))
  })
})

describe('relay limits', () => {
  it('refuses too many tags, long content and a created_at too far ahead with invalid:', async () => {
    const raw = await open({ maxEventTags: 3, maxContentLength: 10, maxFutureSeconds: 60 })
    const tags = [
      ['t', 'a'],
      ['t', 'b'],
      ['t', 'c'],
      ['t', 'd'],
    ]
    const cases: Array<[NostrEvent, string]> = [
      [signEvent(alice, { kind: 0, tags }), 'more than 3'],
      [signEvent(alice, { kind: 0, content: '12345678901' }), 'content is longer than 10'],
      [signEvent(alice, { kind: 0, created_at: now() + 3600 }), 'more than 60 seconds in the'],
    ]
    for (const [event, reason] of cases) {
      const [, , accepted, message] = await publishRaw(raw, event)
      expect(accepted).toBe(false)
      expect(message).toMatch(new RegExp(`^invalid: .*${reason}`))
    }
    await expectOk(raw, signEvent(alice, { kind: 0, created_at: now(), content: '1234567890' }))
  })

  it('refuses a created_at more than 15 minutes ahead by default, and takes any age', async () => {
    const raw = await open()
    const ahead = signEvent(alice, { kind: 0, created_at: now() + 16 * 60 })
    expect(await publishRaw(raw, ahead)).toEqual([
      'OK',
      ahead.id,
      false,
      'invalid: created_at is more than 900 seconds in the future',
    ])
    // Old follows, profiles and releases must still sync from upstreams: no lower bound.
    await expectOk(raw, signEvent(alice, { kind: 3, created_at: now() + 14 * 60 }))
    await expectOk(raw, signEvent(alice, { kind: 0, created_at: 1_000_000_000 }))
    await expectOk(raw, signEvent(alice, { kind: 10002, created_at: 1 }))
  })

  it('refuses a created_at far ahead on a local publish too', async () => {
    await open()
    const ahead = signEvent(alice, { kind: 0, created_at: now() + 3600 })
    expect(await running!.relay.publish(ahead)).toEqual({
      accepted: false,
      message: 'invalid: created_at is more than 900 seconds in the future',
    })
  })

  it('refuses a created_at too far back when a lower bound is set', async () => {
    const raw = await open({ maxPastSeconds: 3600 })
    const old = signEvent(alice, { kind: 0, created_at: now() - 7200 })
    expect(await publishRaw(raw, old)).toEqual([
      'OK',
      old.id,
      false,
      'invalid: created_at is more than 3600 seconds in the past',
    ])
    await expectOk(raw, signEvent(alice, { kind: 0, created_at: now() - 1800 }))
  })

  it('closes a REQ over the subscription, filter and id limits with CLOSED', async () => {
    const raw = await open({ maxSubscriptions: 1, maxFilters: 2, maxSubidLength: 4 })
    expect((await requestRaw(raw, 'long!', [{}])).end).toEqual([
      'CLOSED',
      'long!',
      'invalid: subscription id must be 1 to 4 characters',
    ])
    expect((await requestRaw(raw, 'f', [{}, {}, {}])).end).toEqual([
      'CLOSED',
      'f',
      'invalid: too many filters (max 2)',
    ])
    await requestRaw(raw, 'a', [{ limit: 0 }], { live: true })
    expect((await requestRaw(raw, 'b', [{ limit: 0 }])).end).toEqual([
      'CLOSED',
      'b',
      'blocked: too many open subscriptions (max 1)',
    ])
  })

  // NIP-11 counts characters: a non-BMP character (two UTF-16 units) is one.
  it('counts subscription id and content length in characters, not UTF-16 units', async () => {
    const raw = await open({ maxSubidLength: 4, maxContentLength: 4 })
    expect((await requestRaw(raw, '😀😀😀😀', [{ limit: 0 }])).end).toEqual(['EOSE', '😀😀😀😀'])
    expect((await requestRaw(raw, '😀😀😀😀x', [{ limit: 0 }])).end).toEqual([
      'CLOSED',
      '😀😀😀😀x',
      'invalid: subscription id must be 1 to 4 characters',
    ])
    raw.send(JSON.stringify(['COUNT', '😀😀😀😀', { kinds: [0] }]))
    expect(await raw.next()).toEqual(['COUNT', '😀😀😀😀', { count: 0 }])
    await expectOk(raw, signEvent(alice, { kind: 0, content: '😀😀😀😀' }))
    const long = signEvent(alice, { kind: 3, content: '😀😀😀😀😀' })
    expect(await publishRaw(raw, long)).toEqual([
      'OK',
      long.id,
      false,
      'invalid: content is longer than 4 characters',
    ])
  })

  it('clamps a limit to max_limit', async () => {
    const raw = await open({ maxLimit: 2 })
    for (const created_at of [1, 2, 3])
      await expectOk(raw, signEvent(alice, { kind: 5, created_at }))
    const { events } = await requestRaw(raw, 's', [{ kinds: [5], limit: 100 }])
    expect(events.map((event) => event.created_at)).toEqual([3, 2])
  })

  it('rate-limits an address with OK false and CLOSED rate-limited:', async () => {
    const raw = await open({ ipMessagesPerSecond: 0.001, ipMessageBurst: 2 })
    await expectOk(raw, signEvent(alice, { kind: 0 }))
    expect((await requestRaw(raw, 'a', [{ limit: 0 }], { live: true })).end).toEqual(['EOSE', 'a'])
    const event = signEvent(alice, { kind: 3 })
    expect(await publishRaw(raw, event)).toEqual([
      'OK',
      event.id,
      false,
      'rate-limited: this address sends too many messages',
    ])
    expect((await requestRaw(raw, 'b', [{}])).end).toEqual([
      'CLOSED',
      'b',
      'rate-limited: this address sends too many messages',
    ])
  })

  it('refuses a rate-limited COUNT with CLOSED and a rate-limited NEG-OPEN with NEG-ERR', async () => {
    const raw = await open({ ipMessagesPerSecond: 0.001, ipMessageBurst: 1 })
    raw.send(JSON.stringify(['CLOSE', 'none']))
    raw.send(JSON.stringify(['COUNT', 'c', { kinds: [0] }]))
    raw.send(JSON.stringify(['NEG-OPEN', 'n', { kinds: [0] }, '6100000200']))
    raw.send(JSON.stringify(['CLOSE', 'none']))
    const reason = 'rate-limited: this address sends too many messages'
    expect(await raw.next()).toEqual(['CLOSED', 'c', reason])
    expect(await raw.next()).toEqual(['NEG-ERR', 'n', reason])
    expect(await raw.next()).toEqual(['NOTICE', reason])
  })

  it('charges malformed and binary frames against the address, as every frame', async () => {
    const raw = await open({ ipMessagesPerSecond: 0.001, ipMessageBurst: 2 })
    raw.send(Buffer.from('["REQ","x",{}]'), true)
    raw.send('[')
    expect(await raw.next()).toEqual(['NOTICE', 'invalid: binary frames are not accepted'])
    expect(await raw.next()).toEqual(['NOTICE', expect.stringMatching(/^invalid: /)])
    expect((await requestRaw(raw, 'b', [{}])).end).toEqual([
      'CLOSED',
      'b',
      'rate-limited: this address sends too many messages',
    ])
  })

  it('rate-limits an author across connections, counting only events that verify', async () => {
    const raw = await open({ keyEventsPerSecond: 0.001, keyEventBurst: 1 })
    const forged = { ...signEvent(alice, { kind: 0, content: 'x' }), sig: '0'.repeat(128) }
    expect((await publishRaw(raw, forged))[3]).toMatch(/^invalid: /)
    await expectOk(raw, signEvent(alice, { kind: 0, created_at: 10 }))

    const other = await connectRaw(running!.url)
    const late = signEvent(alice, { kind: 0, created_at: 20 })
    expect(await publishRaw(other, late)).toEqual([
      'OK',
      late.id,
      false,
      'rate-limited: this author publishes too fast',
    ])
    await expectOk(other, signEvent(generateSecretKey(), { kind: 0 }))
    other.socket.close()
  })

  it('advertises every limit in the NIP-11 limitation object', async () => {
    await open({ maxPastSeconds: 86400, maxFutureSeconds: 60 })
    const response = await fetch(running!.httpUrl, {
      headers: { accept: 'application/nostr+json' },
    })
    const document = (await response.json()) as { limitation: Record<string, unknown> }
    expect(document.limitation).toMatchObject({
      max_message_length: 512 * 1024,
      max_subscriptions: 20,
      max_filters: 10,
      max_limit: 500,
      max_subid_length: 64,
      max_event_tags: 2000,
      max_content_length: 256 * 1024,
      min_pow_difficulty: 0,
      payment_required: false,
      restricted_writes: true,
      created_at_lower_limit: 86400,
      created_at_upper_limit: 60,
      default_limit: 500,
    })
    expect(typeof document.limitation.auth_required).toBe('boolean')
  })
})
