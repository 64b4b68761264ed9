// The catalog signer on a real relay and store: entry selection and ordering, debounced
// re-signing, re-signing at half validity, and the relay announcement of each new catalog.
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { createRelay, type Relay } from '../../relay/index.js'
import { signNostrEvent } from '../../src/nostr/event.js'
import { verifyCatalog } from '../../src/release/catalog.js'
import {
  buildEntries,
  startCatalogSigner,
  type CatalogSigner,
} from '../../registry/catalog-signer.js'
import { openRegistryStore, type RegistryStore, type ReleaseRecord } from '../../registry/store.js'
import { makeKeys } from '../support/release-fixtures.js'
import { makeDataDir, waitFor } from './harness.js'

function record(appId: string, did: string, version: string, eventId: string): ReleaseRecord {
  return {
    event_id: eventId.repeat(64).slice(0, 64),
    app_id: appId,
    publisher: { did, nostr_pubkey: 'f'.repeat(64) },
    version,
    created_at: 0,
    verified_at: '2026-01-01T00:00:00Z',
    release: { app: appId, version },
  }
}

function yanked(release: ReleaseRecord): ReleaseRecord {
  return { ...release, yanked: { deletion_id: 'd'.repeat(64), yanked_at: '2026-01-02T00:00:00Z' } }
}

describe('buildEntries', () => {
  it.each<[string, ReleaseRecord[], [string, string, string | undefined][]]>([
    ['no releases', [], []],
    [
      'the newest version per publisher by SemVer precedence, not by arrival',
      [record('a', 'did:x', '1.10.0', '1'), record('a', 'did:x', '1.9.0', '2')],
      [['a', '1.10.0', undefined]],
    ],
    [
      'a prerelease below its release',
      [record('a', 'did:x', '2.0.0-rc.1', '1'), record('a', 'did:x', '2.0.0', '2')],
      [['a', '2.0.0', undefined]],
    ],
    [
      'apps ordered by id',
      [record('zeta', 'did:x', '1.0.0', '1'), record('alpha', 'did:x', '1.0.0', '2')],
      [
        ['alpha', '1.0.0', undefined],
        ['zeta', '1.0.0', undefined],
      ],
    ],
    [
      'a bare id to the earliest verified publisher, an address to the later one',
      [
        record('a', 'did:first', '1.0.0', '1'),
        record('a', 'did:second', '9.0.0', '2'),
        record('a', 'did:first', '1.1.0', '3'),
      ],
      [
        ['a', '1.1.0', undefined],
        ['a', '9.0.0', 'a@did:second'],
      ],
    ],
    [
      'the newest release that is not yanked',
      [
        record('a', 'did:x', '1.0.0', '1'),
        yanked(record('a', 'did:x', '1.1.0', '2')),
        yanked(record('b', 'did:x', '1.0.0', '3')),
      ],
      [['a', '1.0.0', undefined]],
    ],
    [
      'the bare id to the next publisher once the earliest has only yanked releases',
      [
        yanked(record('a', 'did:first', '1.0.0', '1')),
        record('a', 'did:second', '1.0.0', '2'),
        record('a', 'did:third', '1.0.0', '3'),
      ],
      [
        ['a', '1.0.0', undefined],
        ['a', '1.0.0', 'a@did:third'],
      ],
    ],
  ])('selects %s', (_name, records, expected) => {
    const entries = buildEntries(records)
    expect(entries.map((entry) => [entry.id, entry.version, entry.address])).toEqual(expected)
    for (const entry of entries) expect(entry.trust).toEqual({ score: null, band: 'unscored' })
  })
})

describe('buildEntries with the operator allow list', () => {
  const claims = [record('a', 'did:first', '1.0.0', '1'), record('a', 'did:second', '2.0.0', '2')]

  it.each<[string, [string, string][], [string, string | undefined][]]>([
    [
      'without an entry for the id: the earliest',
      [['b', 'did:second']],
      [
        ['1.0.0', undefined],
        ['2.0.0', 'a@did:second'],
      ],
    ],
    [
      'naming the later publisher: that one, first',
      [['a', 'did:second']],
      [
        ['2.0.0', undefined],
        ['1.0.0', 'a@did:first'],
      ],
    ],
    [
      'naming a publisher with no release: nobody has the bare id',
      [['a', 'did:other']],
      [
        ['1.0.0', 'a@did:first'],
        ['2.0.0', 'a@did:second'],
      ],
    ],
  ])('gives the bare id %s', (_name, owners, expected) => {
    const entries = buildEntries(claims, new Map(owners))
    expect(entries.map((entry) => [entry.version, entry.address])).toEqual(expected)
  })
})

describe('startCatalogSigner', () => {
  let data: ReturnType<typeof makeDataDir>
  let relay: Relay
  let store: RegistryStore
  let signer: CatalogSigner | undefined
  const keys = makeKeys()
  const logger = pino({ level: 'silent' })

  beforeEach(() => {
    data = makeDataDir()
    relay = createRelay({
      databasePath: `${data.dir}/relay.sqlite`,
      info: { name: 't', description: 't', software: 't', version: '0' },
      logger,
    })
    store = openRegistryStore(`${data.dir}/registry.sqlite`)
  })
  afterEach(async () => {
    await signer?.close()
    await relay.close()
    store.close()
    data.remove()
  })

  function start(options: { validityMs?: number; debounceMs?: number } = {}) {
    return startCatalogSigner({ store, relay, keys, url: 'http://127.0.0.1:1', logger, ...options })
  }

  it('signs sequence 1 on an empty store and announces it', async () => {
    signer = await start()
    const { catalog, blake3 } = signer.current()
    expect(verifyCatalog(catalog, { pinnedDid: keys.ed25519.did }).catalog.sequence).toBe(1)
    const [announcement] = relay.query([{ kinds: [30078], '#d': ['archipelago-catalog'] }])
    expect(announcement?.pubkey).toBe(keys.nostr.pubkey)
    expect(JSON.parse(announcement!.content)).toEqual({
      sequence: 1,
      blake3,
      url: 'http://127.0.0.1:1/v1/catalog',
    })
  })

  it('signs once for a burst of changes', async () => {
    signer = await start({ debounceMs: 50 })
    store.addRelease(record('a', keys.ed25519.did, '1.0.0', '1'))
    signer.schedule()
    store.addRelease(record('b', keys.ed25519.did, '1.0.0', '2'))
    signer.schedule()
    const second = await waitFor(() =>
      signer!.current().catalog.sequence === 2 ? signer!.current() : undefined,
    )
    expect(second.catalog.apps.map((entry) => entry.id)).toEqual(['a', 'b'])
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(signer.current().catalog.sequence).toBe(2)
    const announcements = relay.query([{ kinds: [30078], '#d': ['archipelago-catalog'] }])
    expect(announcements).toHaveLength(1)
    expect(JSON.parse(announcements[0]!.content).sequence).toBe(2)
  })

  it('dates an announcement at most 10 seconds ahead, waiting when a burst got that far', async () => {
    // The announcement of a burst that already used up the lead, well inside the relay's window.
    const ahead = Math.floor(Date.now() / 1000) + 10
    const previous = signNostrEvent(
      {
        kind: 30078,
        created_at: ahead,
        tags: [['d', 'archipelago-catalog']],
        content: JSON.stringify({ sequence: 0 }),
      },
      keys.nostr.secretKey,
    )
    expect((await relay.publish(previous)).accepted).toBe(true)

    signer = await start()
    const [announcement] = relay.query([{ kinds: [30078], '#d': ['archipelago-catalog'] }])
    expect(JSON.parse(announcement!.content).sequence).toBe(1)
    expect(announcement!.created_at).toBe(ahead + 1)
    expect(announcement!.created_at).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 10)
  })

  it('keeps an unchanged catalog, and re-signs it once half its validity has passed', async () => {
    signer = await start({ validityMs: 2400 })
    expect((await signer.refresh()).catalog.sequence).toBe(1)
    const renewed = await waitFor(
      () => (signer!.current().catalog.sequence === 2 ? signer!.current() : undefined),
      4000,
    )
    expect(Date.parse(renewed.catalog.expires_at)).toBeGreaterThan(Date.now())
    expect(store.catalogState()?.sequence).toBe(2)
  })
})
