// NIP-42 AUTH and NIP-70 protected events over a real WebSocket: the challenge on connect, the
// relay URL compared after normalisation, the checks of the auth event, several keys on one
// connection, writes restricted to authenticated keys, and the `["-"]` tag.
import { afterEach, describe, expect, it } from 'vitest'
import { finalizeEvent, getPublicKey } from 'nostr-tools/pure'
import { ValidationError } from '../../src/errors.js'
import { normalizeRelayUrl } from '../../relay/nip42.js'
import { connectClient, connectRaw, generateSecretKey, signEvent, startRelay } from './harness.js'
import type { RawClient, RunningRelay } from './harness.js'

const now = (): number => Math.floor(Date.now() / 1000)

function authEvent(
  secretKey: Uint8Array,
  relay: string,
  challenge: string,
  extra: { created_at?: number; kind?: number } = {},
): ReturnType<typeof signEvent> {
  return signEvent(secretKey, {
    kind: 22242,
    created_at: now(),
    tags: [
      ['relay', relay],
      ['challenge', challenge],
    ],
    ...extra,
  })
}

async function authenticate(
  client: RawClient,
  secretKey: Uint8Array,
  relay: string,
): Promise<unknown[]> {
  const event = authEvent(secretKey, relay, await client.challenge)
  client.send(JSON.stringify(['AUTH', event]))
  return client.next()
}

describe('normalizeRelayUrl', () => {
  it.each([
    ['wss://relay.example/', 'wss://relay.example'],
    ['WSS://Relay.EXAMPLE', 'wss://relay.example'],
    ['wss://relay.example:443', 'wss://relay.example'],
    ['ws://relay.example:80/', 'ws://relay.example'],
    ['https://relay.example/', 'wss://relay.example'],
    ['http://relay.example:80', 'ws://relay.example'],
    ['ws://relay.example:443/', 'ws://relay.example:443'],
    ['wss://relay.example/nostr/', 'wss://relay.example/nostr'],
    ['ws://127.0.0.1:7777/', 'ws://127.0.0.1:7777'],
  ])('reads %s as %s', (input, expected) => {
    expect(normalizeRelayUrl(input)).toBe(expected)
  })

  it.each([['relay.example'], ['ftp://relay.example'], ['']])(
    'refuses %j naming relay',
    (input) => {
      expect(() => normalizeRelayUrl(input)).toThrow(ValidationError)
      expect(() => normalizeRelayUrl(input)).toThrow(/^relay: /)
    },
  )
})

describe('relay AUTH (NIP-42)', () => {
  let running: RunningRelay
  const clients: RawClient[] = []
  const author = generateSecretKey()

  async function connect(): Promise<RawClient> {
    const client = await connectRaw(running.url)
    clients.push(client)
    return client
  }

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.close()
    await running.stop()
  })

  it('sends a fresh random challenge on every connection', async () => {
    running = await startRelay()
    const [a, b] = [await connect(), await connect()]
    const [first, second] = [await a.challenge, await b.challenge]
    expect(first).toMatch(/^[0-9a-f]{32}$/)
    expect(second).not.toBe(first)
  })

  it('accepts an AUTH event naming the relay URL with a trailing slash', async () => {
    running = await startRelay()
    expect(running.url.endsWith('/')).toBe(true)
    const client = await connect()
    const event = authEvent(author, running.url, await client.challenge)
    client.send(JSON.stringify(['AUTH', event]))
    expect(await client.next()).toEqual(['OK', event.id, true, ''])
  })

  it('compares the configured URL ignoring host case, default port and trailing slash', async () => {
    running = await startRelay({ url: 'wss://registry.example' })
    const client = await connect()
    const reply = await authenticate(client, author, 'WSS://Registry.Example:443/')
    expect(reply).toEqual(['OK', expect.any(String), true, ''])
  })

  it('refuses an AUTH event for another relay', async () => {
    running = await startRelay({ url: 'wss://registry.example' })
    const client = await connect()
    const reply = await authenticate(client, author, 'wss://other.example/')
    expect(reply[2]).toBe(false)
    expect(reply[3]).toMatch(/^invalid: relay: names "wss:\/\/other.example\/", not this relay/)
  })

  it('refuses an AUTH event answering a wrong challenge', async () => {
    running = await startRelay()
    const client = await connect()
    await client.challenge
    const event = authEvent(author, running.url, 'not-the-challenge')
    client.send(JSON.stringify(['AUTH', event]))
    expect(await client.next()).toEqual([
      'OK',
      event.id,
      false,
      'invalid: challenge: does not match the challenge this relay sent',
    ])
  })

  it('refuses the challenge of another connection', async () => {
    running = await startRelay()
    const [client, other] = [await connect(), await connect()]
    const event = authEvent(author, running.url, await other.challenge)
    client.send(JSON.stringify(['AUTH', event]))
    expect((await client.next())[3]).toMatch(/^invalid: challenge: /)
  })

  it.each([
    ['an old created_at', { created_at: now() - 3600 }, /^invalid: created_at: must be within 600/],
    ['a future created_at', { created_at: now() + 3600 }, /^invalid: created_at: /],
    ['another kind', { kind: 1 }, /^invalid: kind: an AUTH event must be kind 22242, got 1/],
  ])('refuses an AUTH event with %s', async (_name, extra, message) => {
    running = await startRelay()
    const client = await connect()
    const event = authEvent(author, running.url, await client.challenge, extra)
    client.send(JSON.stringify(['AUTH', event]))
    const reply = await client.next()
    expect(reply.slice(0, 3)).toEqual(['OK', event.id, false])
    expect(reply[3]).toMatch(message)
  })

  it('refuses an AUTH event whose signature does not verify', async () => {
    running = await startRelay()
    const client = await connect()
    const event = authEvent(author, running.url, await client.challenge)
    const forged = { ...event, sig: '0'.repeat(128) }
    client.send(JSON.stringify(['AUTH', forged]))
    expect((await client.next())[3]).toMatch(/^invalid: the AUTH event id or signature/)
  })

  it('answers an AUTH that is no event with a NOTICE', async () => {
    running = await startRelay()
    const client = await connect()
    client.send(JSON.stringify(['AUTH', 'nonsense']))
    expect(await client.next()).toEqual(['NOTICE', 'invalid: event: must be a JSON object'])
  })

  it('restricts writes to authenticated keys when configured, several keys per connection', async () => {
    running = await startRelay({ requireAuthForWrites: true })
    const [first, second, stranger] = [
      generateSecretKey(),
      generateSecretKey(),
      generateSecretKey(),
    ]
    const client = await connect()

    const early = signEvent(first, { kind: 0, content: '{}' })
    client.send(JSON.stringify(['EVENT', early]))
    const refused = await client.next()
    expect(refused.slice(0, 3)).toEqual(['OK', early.id, false])
    expect(refused[3]).toMatch(/^auth-required: /)

    expect((await authenticate(client, first, running.url))[2]).toBe(true)
    expect((await authenticate(client, second, running.url))[2]).toBe(true)
    for (const key of [first, second]) {
      const event = signEvent(key, { kind: 0, content: '{}' })
      client.send(JSON.stringify(['EVENT', event]))
      expect(await client.next()).toEqual(['OK', event.id, true, ''])
    }

    const foreign = signEvent(stranger, { kind: 0, content: '{}' })
    client.send(JSON.stringify(['EVENT', foreign]))
    const restricted = await client.next()
    expect(restricted[2]).toBe(false)
    expect(restricted[3]).toMatch(/^restricted: /)
    expect(
      running.relay
        .query([{ kinds: [0] }])
        .map((event) => event.pubkey)
        .sort(),
    ).toEqual([getPublicKey(first), getPublicKey(second)].sort())
  })

  it('lets unauthenticated clients write by default', async () => {
    running = await startRelay()
    const client = await connectClient(running.url)
    await expect(client.publish(signEvent(author, { kind: 0, content: '{}' }))).resolves.toBe('')
    client.close()
  })

  it('authenticates through nostr-tools auth()', async () => {
    running = await startRelay({ requireAuthForWrites: true })
    const client = await connectClient(running.url)
    const event = signEvent(author, { kind: 0, content: '{}' })
    await expect(client.publish(event)).rejects.toThrow(/auth-required: /)
    await client.auth(async (template) => finalizeEvent(template, author))
    await expect(client.publish(event)).resolves.toBe('')
    client.close()
  })
})

describe('relay protected events (NIP-70)', () => {
  let running: RunningRelay
  const author = generateSecretKey()
  const protectedTemplate = { kind: 0, content: '{}', tags: [['-']] }

  afterEach(async () => {
    await running.stop()
  })

  it('refuses a protected event from an unauthenticated connection', async () => {
    running = await startRelay()
    const client = await connectRaw(running.url)
    const event = signEvent(author, protectedTemplate)
    client.send(JSON.stringify(['EVENT', event]))
    const reply = await client.next()
    expect(reply.slice(0, 3)).toEqual(['OK', event.id, false])
    expect(reply[3]).toMatch(/^auth-required: this event is protected \(NIP-70\)/)
    client.socket.close()
  })

  it('accepts a protected event once its author authenticated, and from no other key', async () => {
    running = await startRelay()
    const client = await connectRaw(running.url)
    const other = generateSecretKey()
    await authenticate(client, other, running.url)

    const event = signEvent(author, protectedTemplate)
    client.send(JSON.stringify(['EVENT', event]))
    expect((await client.next())[3]).toMatch(/^restricted: /)

    await authenticate(client, author, running.url)
    client.send(JSON.stringify(['EVENT', event]))
    expect(await client.next()).toEqual(['OK', event.id, true, ''])
    client.socket.close()
  })

  it('refuses a protected event published locally, as nobody authenticated it', async () => {
    running = await startRelay()
    const result = await running.relay.publish(signEvent(author, protectedTemplate))
    expect(result.accepted).toBe(false)
    expect(result.message).toMatch(/^blocked: a protected event \(NIP-70\)/)
  })

  it('treats a "-" tag with a value as an ordinary tag', async () => {
    running = await startRelay()
    const result = await running.relay.publish(
      signEvent(author, { kind: 0, content: '{}', tags: [['-', 'x']] }),
    )
    expect(result).toEqual({ accepted: true, message: '' })
  })
})
