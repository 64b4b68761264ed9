// Hostile and broken input over a real WebSocket: each gets its NIP-01 refusal (OK false for an
// EVENT, CLOSED for a REQ, NOTICE otherwise, a 1009 close for an oversized frame), and neither
// the relay nor a bystander's connection goes down.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { connectRaw, generateSecretKey, signEvent, startRelay } from './harness.js'
import type { RawClient, RunningRelay } from './harness.js'
import { expectOk, requestRaw } from './raw-protocol.js'

const secretKey = generateSecretKey()

let running: RunningRelay
let attacker: RawClient
let bystander: RawClient

beforeEach(async () => {
  running = await startRelay({ limits: { maxMessageLength: 64 * 1024 } })
  attacker = await connectRaw(running.url)
  bystander = await connectRaw(running.url)
  await requestRaw(bystander, 'watch', [{ kinds: [1], limit: 0 }], { live: true })
})

afterEach(async () => {
  attacker.socket.close()
  bystander.socket.close()
  await running.stop()
})

/** The bystander still publishes and still receives live events (in either order). */
async function expectBystanderServed(): Promise<void> {
  const event = signEvent(secretKey, { content: `still here ${Math.random()}` })
  bystander.send(JSON.stringify(['EVENT', event]))
  const frames = [await bystander.next(), await bystander.next()]
  expect(frames).toContainEqual(['OK', event.id, true, ''])
  expect(frames).toContainEqual(['EVENT', 'watch', expect.objectContaining({ id: event.id })])
}

describe('relay malformed input', () => {
  it.each([
    ['broken JSON', '["EVENT", {', /^invalid: message is not valid JSON$/],
    ['a JSON object', '{"type":"EVENT"}', /^invalid: message must be a JSON array/],
    ['an empty array', '[]', /^invalid: message must be a JSON array/],
    ['a number as the type', '[1, 2]', /^invalid: message must be a JSON array/],
    ['an unknown type', '["PUBLISH", {}]', /^invalid: unknown message type "PUBLISH"$/],
    ['a REQ without a string id', '["REQ", 5, {}]', /^invalid: REQ needs a subscription id/],
    ['a CLOSE without an id', '["CLOSE"]', /^invalid: CLOSE takes exactly one/],
  ])('answers %s with a NOTICE', async (_name, text, reason) => {
    attacker.send(text)
    expect(await attacker.next()).toEqual(['NOTICE', expect.stringMatching(reason)])
    await expectBystanderServed()
  })

  it.each([
    [
      'a NEG-OPEN without its message',
      '["NEG-OPEN","n",{}]',
      'NEG-ERR',
      /^invalid: NEG-OPEN takes/,
    ],
    ['a NEG-OPEN with a numeric message', '["NEG-OPEN","n",{},6]', 'NEG-ERR', /^invalid: NEG-OPEN/],
    ['a REQ of a broken envelope', '["REQ","r",{}', 'NOTICE', /^invalid: message is not valid/],
  ])(
    'answers %s, %s, with %s when its subscription id is readable',
    async (_n, text, type, reason) => {
      attacker.send(text)
      const answer = await attacker.next()
      expect(answer).toEqual(type === 'NOTICE' ? [type, answer[1]] : [type, 'n', answer[2]])
      expect(answer.at(-1)).toMatch(reason)
      await expectBystanderServed()
    },
  )

  it.each([
    ['an event that is a number', 5, /^invalid: event: must be a JSON object$/],
    ['an event that is an array', [], /^invalid: event: must be a JSON object$/],
    ['created_at as a string', { created_at: '1' }, /^invalid: created_at: must be/],
    ['kind as a float', { kind: 1.5 }, /^invalid: kind: must be an integer/],
    ['a negative kind', { kind: -1 }, /^invalid: kind: must be an integer/],
    ['tags as an object', { tags: {} }, /^invalid: tags: must be an array of arrays$/],
    ['a tag holding a number', { tags: [['t', 1]] }, /^invalid: tags\[0\]: must contain only/],
    ['content as null', { content: null }, /^invalid: content: must be a string$/],
    ['an uppercase pubkey', { pubkey: 'A'.repeat(64) }, /^invalid: pubkey: must be 64/],
    ['a short sig', { sig: 'ab' }, /^invalid: sig: must be 128/],
  ])('answers an EVENT with %s with OK false invalid:', async (_name, change, reason) => {
    const event = signEvent(secretKey, {})
    const broken =
      typeof change === 'object' && !Array.isArray(change) ? { ...event, ...change } : change
    attacker.send(JSON.stringify(['EVENT', broken]))
    const [type, id, accepted, message] = await attacker.next()
    expect([type, accepted]).toEqual(['OK', false])
    expect(id === event.id || id === '').toBe(true)
    expect(message).toMatch(reason)
    await expectBystanderServed()
  })

  it.each([
    ['a bare array', (deep: string) => deep, 'NOTICE'],
    ['an EVENT', (deep: string) => `["EVENT",${deep}]`, 'OK'],
    ['a REQ filter', (deep: string) => `["REQ","d",${deep}]`, 'CLOSED'],
    ['a COUNT filter', (deep: string) => `["COUNT","d",${deep}]`, 'CLOSED'],
    ['a NEG-OPEN filter', (deep: string) => `["NEG-OPEN","d",${deep},"61"]`, 'NEG-ERR'],
  ])('refuses %s nested 30,000 arrays deep with invalid:', async (_name, wrap, type) => {
    attacker.send(wrap('['.repeat(30_000) + ']'.repeat(30_000)))
    const answer = await attacker.next()
    expect(answer[0]).toBe(type)
    expect(answer.at(-1)).toMatch(/^invalid: /)
    await expectBystanderServed()
  })

  it('answers a REQ with wrongly typed filters with CLOSED', async () => {
    for (const filter of [
      5,
      'x',
      [],
      { limit: -1 },
      { since: 1.5 },
      { '#tt': ['a'] },
      { foo: 1 },
    ]) {
      const { end } = await requestRaw(attacker, 'bad', [filter])
      expect(end).toEqual(['CLOSED', 'bad', expect.stringMatching(/^invalid: filters\[0\]/)])
    }
    await expectBystanderServed()
  })

  it('answers a REQ of 10,000 filters with CLOSED and keeps the connection', async () => {
    const filters = Array.from({ length: 10_000 }, () => ({}))
    const { end } = await requestRaw(attacker, 'many', filters)
    expect(end).toEqual(['CLOSED', 'many', 'invalid: too many filters (max 10)'])
    await expectOk(attacker, signEvent(secretKey, { kind: 7, content: 'after the flood' }))
    await expectBystanderServed()
  })

  it('closes the connection with 1009 on a frame over max_message_length', async () => {
    attacker.send(JSON.stringify(['EVENT', { content: 'x'.repeat(65 * 1024) }]))
    expect(await attacker.closed).toBe(1009)
    await expectBystanderServed()
  })

  it('answers a binary frame with a NOTICE', async () => {
    attacker.send(Buffer.from(JSON.stringify(['REQ', 'b', {}])), true)
    expect(await attacker.next()).toEqual(['NOTICE', 'invalid: binary frames are not accepted'])
    expect((await requestRaw(attacker, 'after', [{ limit: 0 }])).end).toEqual(['EOSE', 'after'])
    await expectBystanderServed()
  })

  it('answers invalid UTF-8 in a text frame without crashing', async () => {
    // ws validates UTF-8 and closes with 1007 (RFC 6455 §8.1); the relay stays up.
    attacker.socket.send(Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]), { binary: false })
    expect(await attacker.closed).toBe(1007)
    await expectBystanderServed()
  })
})
