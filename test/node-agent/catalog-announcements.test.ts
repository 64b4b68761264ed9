// Catalog announcements followed by subscription, against a real registry node over a real
// WebSocket: a new catalog is fetched and verified when announced, a forged announcement only
// causes a fetch that changes nothing, and the watch comes back after the node restarts.
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { openAgentStore, type AgentStore } from '../../node-agent/agent-store.js'
import {
  watchCatalogAnnouncements,
  type AnnouncementWatch,
} from '../../node-agent/catalog-announcements.js'
import { addRegistry, refreshRegistry } from '../../node-agent/catalog-follower.js'
import { signNostrEvent } from '../../src/nostr/event.js'
import { buildReleaseEvent } from '../../src/release/release-event.js'
import { makeKeys, manifestDocument, signRelease } from '../support/release-fixtures.js'
import { makeDataDir, startTestNode, waitFor, type TestNode } from '../registry/harness.js'

const publisher = makeKeys()
let clock = Math.floor(Date.now() / 1000) - 3600
let data: ReturnType<typeof makeDataDir>
let node: TestNode
let store: AgentStore
let watch: AnnouncementWatch | undefined
const refreshed: number[] = []
const errors: string[] = []

beforeEach(async () => {
  data = makeDataDir()
  node = await startTestNode(data.dir)
  store = openAgentStore(join(data.dir, 'agent.sqlite'))
  await addRegistry(store, node.url, node.did)
  refreshed.length = 0
  errors.length = 0
})
afterEach(async () => {
  watch?.close()
  store.close()
  await node.close()
  data.remove()
})

function startWatch(): AnnouncementWatch {
  return watchCatalogAnnouncements({
    store,
    refresh: async (registry) => {
      refreshed.push((await refreshRegistry(store, registry)).catalog.sequence)
    },
    onError: (_url, reason) => errors.push(reason),
    reconnectMs: 50,
  })
}

async function publishRelease(version: string): Promise<void> {
  const release = signRelease(publisher, [manifestDocument('notes', version)])
  await node.publish(buildReleaseEvent(release, publisher.nostr.secretKey, ++clock))
}

const sequenceNow = (): number | null => store.getRegistry(node.url)!.sequence

describe('watchCatalogAnnouncements', () => {
  it('fetches and keeps the catalog a new announcement names', async () => {
    watch = startWatch()
    await publishRelease('1.0.0')
    await waitFor(() => (sequenceNow() === 2 ? true : undefined))
    expect(refreshed).toEqual([2])
    expect(errors).toEqual([])
  })

  it('only fetches on a forged announcement, which changes nothing', async () => {
    watch = startWatch()
    const forged = signNostrEvent(
      {
        kind: 30078,
        created_at: Math.floor(Date.now() / 1000),
        tags: [['d', 'archipelago-catalog']],
        content: JSON.stringify({ sequence: 99, blake3: '0'.repeat(64), url: node.url }),
      },
      makeKeys().nostr.secretKey,
    )
    await node.publish(forged)
    await waitFor(() => (refreshed.length === 1 ? true : undefined))
    expect(refreshed).toEqual([1])
    expect(sequenceNow()).toBe(1)
    expect(errors).toEqual([])
  })

  it('subscribes again after the node restarts', async () => {
    watch = startWatch()
    await publishRelease('1.0.0')
    await waitFor(() => (sequenceNow() === 2 ? true : undefined))
    const port = Number(new URL(node.url).port)
    await node.close()
    node = await startTestNode(data.dir, { port })
    await publishRelease('1.1.0')
    await waitFor(() => (sequenceNow() === 3 ? true : undefined))
    expect(refreshed).toContain(3)
  })

  it('says why it cannot reach the relay of a node that is down', async () => {
    await node.close()
    watch = startWatch()
    await waitFor(() => (errors.length > 0 ? true : undefined))
    expect(errors[0]).toMatch(/^cannot reach its relay: \S/)
    expect(errors[0]).not.toContain('undefined')
    node = await startTestNode(data.dir)
  })
})
