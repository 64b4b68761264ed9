// A registry node hands its relay settings to the relay it embeds: the created_at window (and
// its own catalog announcements inside it) and the NIP-77 limits, over real HTTP and WebSocket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectRaw, generateSecretKey, signEvent } from '../relay/harness.js'
import type { RawClient } from '../relay/harness.js'
import { publishRaw, requestRaw } from '../relay/raw-protocol.js'
import { makeDataDir, startTestNode, waitForCatalog, type TestNode } from './harness.js'

const author = generateSecretKey()
const now = (): number => Math.floor(Date.now() / 1000)

describe('a registry node’s relay settings', () => {
  const data = makeDataDir()
  let node: TestNode
  let raw: RawClient

  beforeAll(async () => {
    node = await startTestNode(data.dir, {
      relayLimits: { maxPastSeconds: 3600 },
      relayNegentropy: { maxSessions: 1, frameSizeLimit: 4096 },
    })
    raw = await connectRaw(node.url.replace(/^http/, 'ws'))
  })

  afterAll(async () => {
    raw.socket.close()
    await node.close()
    data.remove()
  })

  it('advertises its created_at window in NIP-11', async () => {
    const response = await fetch(node.url, { headers: { accept: 'application/nostr+json' } })
    const { limitation } = (await response.json()) as { limitation: Record<string, unknown> }
    expect(limitation).toMatchObject({ created_at_lower_limit: 3600, created_at_upper_limit: 900 })
  })

  it.each([
    ['two hours back', -7200, 'invalid: created_at is more than 3600 seconds in the past'],
    ['an hour ahead', 3600, 'invalid: created_at is more than 900 seconds in the future'],
  ])('refuses a profile dated %s', async (_name, offset, reason) => {
    const event = signEvent(author, { kind: 0, content: '{}', created_at: now() + offset })
    expect(await publishRaw(raw, event)).toEqual(['OK', event.id, false, reason])
  })

  it('announces its catalogs inside that window', async () => {
    await waitForCatalog(node, 1)
    const { events } = await requestRaw(raw, 'c', [
      { kinds: [30078], '#d': ['archipelago-catalog'] },
    ])
    expect(events).toHaveLength(1)
    expect(Math.abs((events[0]?.created_at ?? 0) - now())).toBeLessThan(900)
  })

  it('applies its NIP-77 session limit', async () => {
    raw.send(JSON.stringify(['NEG-OPEN', 'a', { kinds: [30078] }, '61']))
    expect((await raw.next()).slice(0, 2)).toEqual(['NEG-MSG', 'a'])
    raw.send(JSON.stringify(['NEG-OPEN', 'b', { kinds: [30078] }, '61']))
    expect(await raw.next()).toEqual([
      'NEG-ERR',
      'b',
      'blocked: too many open negentropy sessions (max 1)',
    ])
  })
})
