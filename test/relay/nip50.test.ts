// NIP-50 search over real signed release events through a real WebSocket: name, description and
// tags, ranking, the filter's other fields and limit, live matching, replacement, bad queries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NostrEvent } from 'nostr-tools/pure'
import { buildReleaseEvent } from '../../src/release/release-event.js'
import { makeKeys, manifestDocument, signRelease } from '../support/release-fixtures.js'
import { readReleaseText, searchTerms } from '../../relay/nip50.js'
import {
  connectRaw,
  fetchEvents,
  connectClient,
  generateSecretKey,
  signEvent,
  startRelay,
} from './harness.js'
import type { RawClient, RunningRelay } from './harness.js'

const publisher = makeKeys()
const base = Math.floor(Date.now() / 1000) - 1000
const other = makeKeys()

function release(
  keys: ReturnType<typeof makeKeys>,
  id: string,
  version: string,
  app: Record<string, unknown>,
  createdAt: number,
): NostrEvent {
  const document = signRelease(keys, [manifestDocument(id, version, app)])
  return buildReleaseEvent(document, keys.nostr.secretKey, createdAt)
}

async function collect(client: RawClient, id: string): Promise<string[]> {
  const ids: string[] = []
  for (;;) {
    const message = await client.next()
    if (message[0] === 'EOSE' && message[1] === id) return ids
    if (message[0] === 'EVENT' && message[1] === id) ids.push((message[2] as NostrEvent).id)
    if (message[0] === 'CLOSED') throw new Error(`closed: ${String(message[2])}`)
  }
}

describe('searchTerms', () => {
  it.each([
    ['Photo  Vault', ['photo', 'vault']],
    ['photo-vault', ['photo', 'vault']],
    ['language:en notes', ['notes']],
    ['"quoted" OR NEAR(x)', ['quoted', 'or', 'near', 'x']],
    ['Café', ['cafe']],
    ['CAFÉ Crème brûlée', ['cafe', 'creme', 'brulee']],
    ['Ærø Łódź', ['ærø', 'łodz']],
    ['Straße', ['straße']],
    ['  ', []],
  ])('reads %j as %j', (query, terms) => {
    expect(searchTerms(query)).toEqual(terms)
  })
})

describe('relay search (NIP-50)', () => {
  let running: RunningRelay
  let client: RawClient
  const events: Record<string, NostrEvent> = {}

  beforeAll(async () => {
    running = await startRelay()
    events.vault = release(
      publisher,
      'photo-vault',
      '1.0.0',
      {
        description: 'Keeps your photos at home.',
        category: 'media',
        metadata: { tags: ['gallery'] },
      },
      base,
    )
    events.notes = release(
      publisher,
      'notes',
      '2.0.0',
      {
        name: 'Notes',
        description: 'Plain text notes with photos attached.',
        category: 'productivity',
      },
      base + 100,
    )
    events.wiki = release(
      other,
      'wiki',
      '0.1.0',
      { name: 'Team Wiki', description: 'Pages for a small team.', category: 'productivity' },
      base + 200,
    )
    for (const event of Object.values(events)) {
      const result = await running.relay.publish(event)
      expect(result.accepted, result.message).toBe(true)
    }
    // Not a release event: never searchable, whatever its text.
    await running.relay.publish(
      signEvent(generateSecretKey(), { kind: 0, content: '{"name":"photo"}' }),
    )
    client = await connectRaw(running.url)
  })

  afterAll(async () => {
    client.socket.close()
    await running.stop()
  })

  async function search(filter: Record<string, unknown>): Promise<string[]> {
    client.send(JSON.stringify(['REQ', 's', filter]))
    const ids = await collect(client, 's')
    client.send(JSON.stringify(['CLOSE', 's']))
    return ids
  }

  it.each([
    ['a word of the name', 'wiki', ['wiki']],
    ['a word of the description', 'home', ['vault']],
    ['a metadata tag', 'gallery', ['vault']],
    ['the category', 'productivity', ['wiki', 'notes']],
    ['the app id', 'photo-vault', ['vault']],
    ['a prefix, any case', 'PROD', ['wiki', 'notes']],
    ['every term at once', 'team pages', ['wiki']],
    ['terms in different fields', 'notes photos', ['notes']],
    ['nothing known', 'kubernetes', []],
    ['no word at all', '***', []],
  ])('finds releases by %s', async (_name, query, expected) => {
    const found = await search({ search: query })
    expect(found.sort()).toEqual(expected.map((name) => events[name]?.id).sort())
  })

  it('ranks a match in the name above one in the description', async () => {
    expect(await search({ search: 'photo' })).toEqual([events.vault?.id, events.notes?.id])
  })

  it('narrows by the other fields of the filter and applies its limit after ranking', async () => {
    expect(await search({ search: 'productivity', authors: [other.nostr.pubkey] })).toEqual([
      events.wiki?.id,
    ])
    expect(await search({ search: 'photo', limit: 1 })).toEqual([events.vault?.id])
    expect(await search({ search: 'photo', kinds: [0] })).toEqual([])
  })

  it('counts search results (NIP-45)', async () => {
    client.send(JSON.stringify(['COUNT', 'c', { search: 'productivity' }]))
    expect(await client.next()).toEqual(['COUNT', 'c', { count: 2 }])
  })

  it('refuses a search that is no string, or too long, with CLOSED', async () => {
    client.send(JSON.stringify(['REQ', 'bad', { search: 5 }]))
    expect(await client.next()).toEqual([
      'CLOSED',
      'bad',
      'invalid: filters[0].search: must be a string',
    ])
    client.send(JSON.stringify(['REQ', 'long', { search: 'x'.repeat(257) }]))
    expect((await client.next())[2]).toMatch(/search: must be at most 256 characters/)
  })

  it('indexes a newer version in place of the old one, and delivers live matches', async () => {
    const live = await connectClient(running.url)
    const received: string[] = []
    const subscription = live.subscribe([{ search: 'kanban' }], {
      onevent: (event) => received.push(event.id),
    })
    const newer = release(
      other,
      'wiki',
      '0.2.0',
      { name: 'Team Wiki', description: 'Pages and kanban boards.', category: 'productivity' },
      base + 300,
    )
    await expect(live.publish(newer)).resolves.toBe('')
    await expect.poll(() => received).toEqual([newer.id])
    subscription.close()

    // The index follows writes after their OK (onStored), so it may lag a moment behind.
    await expect.poll(() => search({ search: 'kanban' })).toEqual([newer.id])
    expect((await fetchEvents(live, [{ search: 'small team' }])).map((event) => event.id)).toEqual(
      [],
    )
    live.close()
  })
})

describe('relay search (NIP-50) over accented text', () => {
  let running: RunningRelay

  beforeAll(async () => {
    running = await startRelay()
  })
  afterAll(async () => {
    await running.stop()
  })

  // Stored search folds accents (FTS5 remove_diacritics 2); live matching must fold them alike.
  it('matches a query without accents against accented text, live and stored', async () => {
    const client = await connectClient(running.url)
    const received: string[] = []
    const subscription = client.subscribe([{ search: 'cafe', limit: 0 }], {
      onevent: (event) => received.push(event.id),
    })
    const accented = release(publisher, 'menu', '1.0.0', { name: 'Café Crème' }, base)
    const plainText = release(other, 'menu', '1.0.0', { name: 'Cafe Creme' }, base + 1)
    await expect(client.publish(accented)).resolves.toBe('')
    await expect(client.publish(plainText)).resolves.toBe('')
    await expect.poll(() => received).toEqual([accented.id, plainText.id])
    subscription.close()

    for (const query of ['cafe', 'CAFÉ crème']) {
      const found = await fetchEvents(client, [{ search: query }])
      expect(found.map((event) => event.id).sort()).toEqual([accented.id, plainText.id].sort())
    }
    client.close()
  })
})

describe('readReleaseText', () => {
  it('reads nothing from an event outside the release namespace', () => {
    const event = signEvent(generateSecretKey(), {
      kind: 30078,
      tags: [['d', 'other']],
      content: '{}',
    })
    expect(readReleaseText(event)).toBeNull()
  })

  it('still searches the address and tags of a release event whose content is no JSON', () => {
    const event = signEvent(generateSecretKey(), {
      kind: 30078,
      tags: [
        ['d', 'archipelago-app:broken'],
        ['t', 'archipelago-marketplace'],
      ],
      content: 'not json',
    })
    expect(readReleaseText(event)).toEqual({
      name: '',
      description: '',
      tags: 'broken  archipelago-marketplace',
    })
  })
})
