// Two registry nodes that follow each other's relays (DESIGN.md §4, "Registries agree"): they
// converge on the same catalog entries, also after one was offline while the other received
// releases, which it then catches up with NIP-77.
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { signNostrEvent } from '../../src/nostr/event.js'
import { buildReleaseEvent } from '../../src/release/release-event.js'
import { makeKeys, manifestDocument, signRelease } from '../support/release-fixtures.js'
import { makeDataDir, startTestNode, waitFor } from './harness.js'
import type { TestNode } from './harness.js'

interface Entry {
  id: string
  did: string
  version: string
  event_id: string
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

function release(
  keys: ReturnType<typeof makeKeys>,
  app: string,
  version: string,
  createdAt?: number,
) {
  return buildReleaseEvent(
    signRelease(keys, [manifestDocument(app, version)]),
    keys.nostr.secretKey,
    createdAt,
  )
}

async function catalogEntries(node: TestNode): Promise<Entry[]> {
  const { body } = await node.getJson('/v1/catalog')
  const apps = body.apps as Array<{
    id: string
    publisher: { did: string }
    version: string
    event_id: string
  }>
  return apps
    .map((app) => ({
      id: app.id,
      did: app.publisher.did,
      version: app.version,
      event_id: app.event_id,
    }))
    .sort((a, b) => a.id.localeCompare(b.id))
}

/** Waits until both catalogs list exactly `expected` (by app id and version). */
async function waitForCatalogs(nodes: TestNode[], expected: string[]): Promise<Entry[][]> {
  return waitFor(async () => {
    const catalogs = await Promise.all(nodes.map(catalogEntries))
    const ok = catalogs.every(
      (entries) => entries.map((e) => `${e.id}@${e.version}`).join() === expected.join(),
    )
    return ok ? catalogs : undefined
  }, 15_000)
}

describe('two registry nodes following each other', () => {
  const dirs = [makeDataDir(), makeDataDir()]
  const nodes: TestNode[] = []
  const publisher = makeKeys()
  const other = makeKeys()
  const backoff = { initialMs: 50, maxMs: 300 }

  afterAll(async () => {
    for (const node of nodes) await node.close()
    for (const dir of dirs) dir.remove()
  })

  it('converge on the same catalog entries, also after one was offline', async () => {
    const ports = [await freePort(), await freePort()]
    const relayUrl = (index: number): string => `ws://127.0.0.1:${ports[index]}/`
    const start = (index: number): Promise<TestNode> =>
      startTestNode(dirs[index]!.dir, {
        port: ports[index],
        upstreamRelays: [relayUrl(1 - index)],
        upstreamBackoff: backoff,
      })
    const a = await start(0)
    let b = await start(1)
    nodes.push(a, b)

    // Each node receives a release of its own; both end up in both catalogs. Releases are dated
    // apart: two versions of one app in the same second are ordered by id (NIP-01), so the newer
    // version could lose to the older one by chance.
    const now = Math.floor(Date.now() / 1000)
    await a.publish(release(publisher, 'alpha', '1.0.0', now - 10))
    await b.publish(release(other, 'beta', '1.0.0', now - 10))
    const [firstA, firstB] = await waitForCatalogs([a, b], ['alpha@1.0.0', 'beta@1.0.0'])
    expect(firstA).toEqual(firstB)

    // B goes offline; A receives a newer alpha and a new app, the latter dated an hour back, so
    // only a catch-up (not the live subscription) can bring it to B.
    await b.close()
    nodes.splice(nodes.indexOf(b), 1)
    await a.publish(release(publisher, 'alpha', '1.1.0', now - 5))
    await a.publish(release(other, 'gamma', '2.0.0', now - 3600))

    b = await start(1)
    nodes.push(b)
    await b.upstreams.whenSynced()
    expect(b.upstreams.status()).toEqual([
      expect.objectContaining({ url: relayUrl(0), catchUp: 'negentropy', syncs: 1 }),
    ])
    const [finalA, finalB] = await waitForCatalogs(
      [a, b],
      ['alpha@1.1.0', 'beta@1.0.0', 'gamma@2.0.0'],
    )
    expect(finalA).toEqual(finalB)
    expect(finalB?.map((entry) => entry.did)).toEqual([
      publisher.ed25519.did,
      other.ed25519.did,
      other.ed25519.did,
    ])

    // A reconnected to the restarted B with NIP-77 as well.
    await waitFor(() => (a.upstreams.status()[0]?.syncs ?? 0) >= 2 || undefined, 15_000)
    expect(a.upstreams.status()[0]).toMatchObject({ connected: true, catchUp: 'negentropy' })
  })
})

/** Whether `node`'s relay still serves the event `id`, asked over its WebSocket. */
async function serves(node: TestNode, id: string): Promise<boolean> {
  const client = await node.client()
  const events = await new Promise<unknown[]>((resolve) => {
    const found: unknown[] = []
    const subscription = client.subscribe([{ ids: [id] }], {
      onevent: (event) => found.push(event),
      oneose: () => {
        subscription.close()
        resolve(found)
      },
    })
  })
  return events.length > 0
}

function yank(keys: ReturnType<typeof makeKeys>, tags: string[][], createdAt: number) {
  return signNostrEvent(
    { kind: 5, created_at: createdAt, tags, content: 'withdrawn' },
    keys.nostr.secretKey,
  )
}

describe('a yank on one of two registries following each other', () => {
  const dirs = [makeDataDir(), makeDataDir()]
  const nodes: TestNode[] = []
  const publisher = makeKeys()
  const backoff = { initialMs: 50, maxMs: 300 }

  afterAll(async () => {
    for (const node of nodes) await node.close()
    for (const dir of dirs) dir.remove()
  })

  it('reaches the other live and by catch-up, and both catalogs drop the release', async () => {
    const ports = [await freePort(), await freePort()]
    const start = (index: number): Promise<TestNode> =>
      startTestNode(dirs[index]!.dir, {
        port: ports[index],
        upstreamRelays: [`ws://127.0.0.1:${ports[1 - index]}/`],
        upstreamBackoff: backoff,
      })
    const a = await start(0)
    let b = await start(1)
    nodes.push(a, b)

    const now = Math.floor(Date.now() / 1000)
    const older = release(publisher, 'delta', '1.0.0', now - 30)
    const newer = release(publisher, 'delta', '1.1.0', now - 20)
    const other = release(publisher, 'epsilon', '1.0.0', now - 20)
    for (const event of [older, newer, other]) await a.publish(event)
    await waitForCatalogs([a, b], ['delta@1.1.0', 'epsilon@1.0.0'])

    // Live: A yanks delta 1.1.0 by `e`; B drops it and falls back to 1.0.0.
    await a.publish(yank(publisher, [['e', newer.id]], now - 10))
    await waitForCatalogs([a, b], ['delta@1.0.0', 'epsilon@1.0.0'])
    expect(await serves(b, newer.id)).toBe(false)

    // Catch-up: while B is offline, A yanks epsilon by `a`; the restarted B pulls the deletion.
    await b.close()
    nodes.splice(nodes.indexOf(b), 1)
    const address = `30078:${publisher.nostr.pubkey}:${addressOf(other)}`
    const byAddress = yank(publisher, [['a', address]], now - 5)
    await a.publish(byAddress)
    b = await start(1)
    nodes.push(b)
    await b.upstreams.whenSynced()
    await waitForCatalogs([a, b], ['delta@1.0.0'])
    expect(await serves(b, other.id)).toBe(false)
    expect(await serves(b, byAddress.id)).toBe(true)
  })
})

function addressOf(event: { tags: string[][] }): string {
  return event.tags.find(([name]) => name === 'd')?.[1] ?? ''
}
