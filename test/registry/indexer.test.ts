// The indexer on a real relay and store: verdicts once per event, none for events outside the
// release namespace, judgement on demand, storage failures that are never rejections, and yanks.
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { createRelay, type Relay } from '../../relay/index.js'
import { startIndexer, type Indexer } from '../../registry/indexer.js'
import { openRegistryStore, type RegistryStore } from '../../registry/store.js'
import { signNostrEvent, type NostrEvent } from '../../src/nostr/event.js'
import { buildReleaseEvent } from '../../src/release/release-event.js'
import { makeKeys, manifestDocument, signRelease } from '../support/release-fixtures.js'
import { makeDataDir, waitFor } from './harness.js'

const publisher = makeKeys()
let clock = Math.floor(Date.now() / 1000) - 3600

function releaseEvent(appId: string, version: string): NostrEvent {
  const release = signRelease(publisher, [manifestDocument(appId, version)])
  return buildReleaseEvent(release, publisher.nostr.secretKey, ++clock)
}

describe('startIndexer', () => {
  const logger = pino({ level: 'silent' })
  let data: ReturnType<typeof makeDataDir>
  let relay: Relay
  let store: RegistryStore
  let indexer: Indexer | undefined

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
    indexer?.stop()
    indexer = undefined
    await relay.close()
    store.close()
    data.remove()
  })

  it('has a verdict on a release event as soon as the relay has stored it', async () => {
    indexer = startIndexer({ relay, store, logger })
    const good = releaseEvent('web', '1.0.0')
    const lower = releaseEvent('web', '0.9.0')
    expect((await relay.publish(good)).accepted).toBe(true)
    // The relay refuses a lower version at the address (DESIGN.md §4); the history rule judges
    // one that reaches the registry another way.
    expect((await relay.publish(lower)).accepted).toBe(false)
    expect(indexer.verdictFor(good.id)).toEqual({ status: 'accepted' })
    expect(indexer.indexEvent(lower)).toEqual({
      status: 'rejected',
      reason:
        "release.version: 0.9.0 is not higher than 1.0.0, this publisher's newest verified " +
        'release of web',
    })
    expect(indexer.indexEvent(good)).toEqual({ status: 'accepted' })
    expect(store.releases()).toHaveLength(1)
  })

  it('gives no verdict for an unknown id or an event outside the release namespace', async () => {
    indexer = startIndexer({ relay, store, logger })
    const note = signNostrEvent(
      { kind: 1, created_at: ++clock, tags: [], content: 'hello' },
      publisher.nostr.secretKey,
    )
    const setting = signNostrEvent(
      { kind: 30078, created_at: ++clock, tags: [['d', 'some-app-settings']], content: '{}' },
      publisher.nostr.secretKey,
    )
    for (const event of [note, setting]) {
      expect((await relay.publish(event)).accepted).toBe(true)
      expect(indexer.indexEvent(event)).toBeUndefined()
      expect(indexer.verdictFor(event.id)).toBeUndefined()
    }
    expect(indexer.verdictFor('f'.repeat(64))).toBeUndefined()
    expect(store.rejections()).toEqual([])
  })

  it('judges on demand a release event the relay stored while it was not listening', async () => {
    indexer = startIndexer({ relay, store, logger })
    indexer.stop()
    const event = releaseEvent('web', '1.0.0')
    expect((await relay.publish(event)).accepted).toBe(true)
    expect(store.hasVerdict(event.id)).toBe(false)
    expect(indexer.verdictFor(event.id)).toEqual({ status: 'accepted' })
    expect(store.release(event.id)?.version).toBe('1.0.0')
  })

  it('records no rejection when storing fails, and judges the event again later', async () => {
    const failing: RegistryStore = {
      ...store,
      addRelease: () => {
        throw new Error('disk full')
      },
    }
    indexer = startIndexer({ relay, store: failing, logger })
    const event = releaseEvent('web', '1.0.0')
    expect((await relay.publish(event)).accepted).toBe(true)
    expect(store.hasVerdict(event.id)).toBe(false)
    expect(() => indexer!.verdictFor(event.id)).toThrow('disk full')
    indexer.stop()

    // A restart with a working store catches up on the backlog.
    indexer = startIndexer({ relay, store, logger })
    expect(indexer.verdictFor(event.id)).toEqual({ status: 'accepted' })
    expect(store.rejections()).toEqual([])
  })

  it('keeps an accepted release when the onRelease callback fails', async () => {
    const onRelease = (): void => {
      throw new Error('catalog signer down')
    }
    indexer = startIndexer({ relay, store, logger, onRelease })
    const event = releaseEvent('web', '1.0.0')
    expect((await relay.publish(event)).accepted).toBe(true)
    expect(indexer.verdictFor(event.id)).toEqual({ status: 'accepted' })
    expect(store.rejections()).toEqual([])
  })

  function deletionOf(tags: string[][], keys = publisher): NostrEvent {
    return signNostrEvent({ kind: 5, created_at: ++clock, tags, content: '' }, keys.nostr.secretKey)
  }

  it('yanks a release whose deletion the relay stored while it was not listening', async () => {
    const release = releaseEvent('web', '1.0.0')
    const address = `30078:${publisher.nostr.pubkey}:archipelago-app:web`
    const other = makeKeys()
    // Judged while listening: the relay deletes the event itself (NIP-09), so a release first
    // seen after its deletion is never there to judge.
    const listening = startIndexer({ relay, store, logger })
    await relay.publish(release)
    await waitFor(() => store.release(release.id))
    listening.stop()
    await relay.publish(deletionOf([['a', address]], other))
    await relay.publish(deletionOf([['e', release.id]]))
    expect(store.release(release.id)?.yanked).toBeFalsy()
    indexer = startIndexer({ relay, store, logger })
    expect(store.release(release.id)?.yanked).toMatchObject({ deletion_id: expect.any(String) })
  })

  it('refuses the version of a yanked release again, judged on its own', async () => {
    indexer = startIndexer({ relay, store, logger })
    const release = releaseEvent('web', '1.0.0')
    await relay.publish(release)
    await relay.publish(deletionOf([['e', release.id]]))
    await waitFor(() => store.release(release.id)?.yanked ?? undefined)
    expect(indexer.indexEvent(releaseEvent('web', '1.0.0'))).toEqual({
      status: 'rejected',
      reason:
        "release.version: 1.0.0 is not higher than 1.0.0, this publisher's newest verified " +
        'release of web',
    })
    expect(indexer.indexEvent(releaseEvent('web', '1.0.1'))).toEqual({ status: 'accepted' })
  })
})
