// Yanking through a real node: a NIP-09 deletion (kind 5) by a release's author, by `e` or by
// `a`, keeps the release marked in its history and takes it out of the catalog; anyone else's
// deletion changes nothing, a yanked version still counts for the version rule, and an agent
// installs the release before it.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { addRegistry } from '../../node-agent/catalog-follower.js'
import { installApp } from '../../node-agent/install.js'

import type { KeyPairs } from '../../src/identity/key-file.js'
import { signNostrEvent, type NostrEvent } from '../../src/nostr/event.js'
import { buildReleaseEvent } from '../../src/release/release-event.js'
import { makeKeys, manifestDocument, signRelease } from '../support/release-fixtures.js'
import {
  adoptionProbes,
  appOver,
  openStubAgent,
  signRawRelease,
} from '../node-agent/agent-test-registry.js'
import { makeDataDir, startTestNode, waitFor, waitForCatalog, type TestNode } from './harness.js'

let clock = Math.floor(Date.now() / 1000) - 3600
function nextSecond(): number {
  return ++clock
}

function release(keys: KeyPairs, appId: string, version: string): NostrEvent {
  const document = signRelease(keys, [manifestDocument(appId, version)])
  return buildReleaseEvent(document, keys.nostr.secretKey, nextSecond())
}

function deletion(keys: KeyPairs, tags: string[][]): NostrEvent {
  return signNostrEvent(
    { kind: 5, created_at: nextSecond(), tags, content: 'withdrawn' },
    keys.nostr.secretKey,
  )
}

interface ReleaseSummary {
  event_id: string
  version: string
  yanked: { deletion_id: string; yanked_at: string } | null
}

describe('yanking a release with a NIP-09 deletion', () => {
  const data = makeDataDir()
  const publisher = makeKeys()
  let node: TestNode
  const first = release(publisher, 'notes', '1.0.0')
  const second = release(publisher, 'notes', '1.1.0')

  beforeAll(async () => {
    node = await startTestNode(data.dir)
    await node.publish(first)
    await node.publish(second)
  })
  afterAll(async () => {
    await node.close()
    data.remove()
  })

  async function releases(): Promise<ReleaseSummary[]> {
    const { body } = await node.getJson('/v1/apps/notes/releases')
    return body.releases as ReleaseSummary[]
  }

  async function catalogNow(): Promise<{ sequence: number; apps: { version: string }[] }> {
    return (await node.getJson('/v1/catalog')).body as never
  }

  /** The relay runs its listeners after the OK: poll until the releases reach a state. */
  async function releasesWhen(
    check: (all: ReleaseSummary[]) => boolean,
  ): Promise<ReleaseSummary[]> {
    return waitFor(async () => {
      const all = await releases()
      return check(all) ? all : undefined
    })
  }

  // The next test shows this deletion was judged: listeners run in order, and its release is
  // then yanked by the author's deletion, not by this one.
  it('ignores a deletion of the release by another key', async () => {
    // Indexing runs after the OK: wait for the catalog that lists the second release.
    const before = await waitFor(async () => {
      const catalog = await catalogNow()
      return catalog.apps.some((entry) => entry.version === '1.1.0') ? catalog : undefined
    })
    expect(before.apps.map((entry) => entry.version)).toEqual(['1.1.0'])
    await node.publish(deletion(makeKeys(), [['e', second.id]]))
    expect((await releases()).map((entry) => entry.yanked)).toEqual([null, null])
  })

  it('yanks by e tag: kept and marked, the previous release back in the catalog', async () => {
    const { sequence } = await catalogNow()
    const request = deletion(publisher, [
      ['e', second.id],
      ['k', '30078'],
    ])
    await node.publish(request)

    const [newest, older] = await releasesWhen((all) => all[0]?.yanked !== null)
    expect(newest).toMatchObject({ event_id: second.id, yanked: { deletion_id: request.id } })
    expect(older).toMatchObject({ event_id: first.id, yanked: null })
    const catalog = await waitForCatalog(node, sequence + 1)
    expect(catalog.apps.map((entry) => [entry.version, entry.event_id])).toEqual([
      ['1.0.0', first.id],
    ])
    const page = await node.getJson('/v1/apps/notes')
    expect((page.body.entries as { version: string }[]).map((entry) => entry.version)).toEqual([
      '1.0.0',
    ])
  })

  it('still refuses the yanked version again, naming the rule', async () => {
    // The relay takes it: the deletion removed the event that held the address, so no stored
    // version is left for its own rule (DESIGN.md §4, "Registries agree") to compare with. The
    // registry keeps the yanked release and refuses the version.
    const again = release(publisher, 'notes', '1.1.0')
    await node.publish(again)
    const { body } = await node.getJson(`/v1/events/${again.id}/verdict`)
    expect(body).toEqual({
      status: 'rejected',
      reason:
        'release.version: 1.1.0 is not higher than 1.1.0, ' +
        "this publisher's newest verified release of notes",
    })
    const rejections = (await node.getJson('/v1/rejections')).body.rejections
    expect(rejections).toContainEqual(expect.objectContaining({ event_id: again.id }))
  })

  it('yanks every release at an address by a tag, and the app leaves the catalog', async () => {
    const { sequence } = await catalogNow()
    const address = `30078:${publisher.nostr.pubkey}:archipelago-app:notes`
    await node.publish(deletion(publisher, [['a', address]]))
    await releasesWhen((all) => all.every((entry) => entry.yanked !== null))
    const catalog = await waitForCatalog(node, sequence + 1)
    expect(catalog.apps).toEqual([])
    expect((await node.getJson('/v1/apps/notes')).status).toBe(200)
  })

  it('keeps the yanks across a restart', async () => {
    await node.close()
    node = await startTestNode(data.dir)
    expect((await releases()).every((entry) => entry.yanked !== null)).toBe(true)
    expect((await catalogNow()).apps).toEqual([])
  })
})

describe('a yanked release and an agent', () => {
  const data = makeDataDir()
  const publisher = makeKeys()
  let node: TestNode
  let agentDir: string

  beforeAll(async () => {
    node = await startTestNode(data.dir)
    agentDir = await mkdtemp(join(tmpdir(), 'yanks-agent-'))
  })
  afterAll(async () => {
    await node.close()
    data.remove()
    await rm(agentDir, { recursive: true, force: true })
  })

  function adoptable(version: string): NostrEvent {
    const manifest = appOver('kept', 'old-kept')
    ;(manifest.app as { version: string }).version = version
    const document = signRawRelease(publisher, [manifest])
    return buildReleaseEvent(document, publisher.nostr.secretKey, nextSecond())
  }

  it('installs the previous release, never the yanked one', async () => {
    const older = adoptable('1.0.0')
    const newer = adoptable('1.1.0')
    await node.publish(older)
    await node.publish(newer)
    await node.publish(deletion(publisher, [['e', newer.id]]))
    await waitFor(async () => {
      const { body } = await node.getJson('/v1/catalog')
      const apps = body.apps as { version: string }[]
      return apps.length === 1 && apps[0]!.version === '1.0.0' ? true : undefined
    })

    const agent = await openStubAgent(agentDir, adoptionProbes(['old-kept']))
    try {
      await addRegistry(agent.store, node.url, node.did)
      const installed = await installApp(agent, 'kept', { mode: 'podman' })
      expect(installed.version).toBe('1.0.0')
    } finally {
      await agent.close()
    }
  })
})
