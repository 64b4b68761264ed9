// Two publishers claiming one app id, end to end: a real registry node indexes both releases, and
// an agent following it installs the bare id from the owner (the earliest verified release, or
// the operator's app_owners choice) and `id@<did>` from the other (DESIGN.md §4, "Catalog").
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { addRegistry } from '../../node-agent/catalog-follower.js'
import { installApp } from '../../node-agent/install.js'
import type { KeyPairs } from '../../src/identity/key-file.js'
import { buildReleaseEvent } from '../../src/release/release-event.js'
import { makeKeys } from '../support/release-fixtures.js'
import {
  adoptionProbes,
  appOver,
  openStubAgent,
  signRawRelease,
} from '../node-agent/agent-test-registry.js'
import { makeDataDir, startTestNode, waitFor, type TestNode } from './harness.js'

let data: ReturnType<typeof makeDataDir>
let agentDir: string
let node: TestNode | undefined
const first = makeKeys()
const second = makeKeys()
let clock = Math.floor(Date.now() / 1000) - 3600

beforeEach(async () => {
  data = makeDataDir()
  agentDir = await mkdtemp(path.join(tmpdir(), 'app-identity-'))
})
afterEach(async () => {
  await node?.close()
  node = undefined
  data.remove()
  await rm(agentDir, { recursive: true, force: true })
})

/** Starts a node and publishes `shared` by the first publisher, then by the second. */
async function claimTwice(appOwners?: string[]): Promise<TestNode> {
  node = await startTestNode(data.dir, appOwners ? { appOwners } : {})
  for (const publisher of [first, second] as KeyPairs[]) {
    const release = signRawRelease(publisher, [appOver('shared', 'old-shared')])
    await node.publish(buildReleaseEvent(release, publisher.nostr.secretKey, ++clock))
  }
  const started = node
  await waitFor(async () => {
    const { body } = await started.getJson('/v1/catalog')
    return (body.apps as unknown[]).length === 2 ? true : undefined
  })
  return node
}

/** Installs `app` with a fresh agent following the node, and returns the publisher installed. */
async function installFrom(registry: TestNode, app: string): Promise<string> {
  const dir = await mkdtemp(path.join(agentDir, 'agent-'))
  const agent = await openStubAgent(dir, adoptionProbes(['old-shared']))
  try {
    await addRegistry(agent.store, registry.url, registry.did)
    return (await installApp(agent, app, { mode: 'podman' })).publisherDid
  } finally {
    await agent.close()
  }
}

describe('two publishers claiming one id', () => {
  it('gives the bare id to the earliest verified release; the other is id@<did>', async () => {
    const registry = await claimTwice()
    const apps = (await registry.getJson('/v1/apps')).body.apps as { address?: string }[]
    expect(apps.map((entry) => entry.address)).toEqual([undefined, `shared@${second.ed25519.did}`])
    expect(await installFrom(registry, 'shared')).toBe(first.ed25519.did)
    expect(await installFrom(registry, `shared@${second.ed25519.did}`)).toBe(second.ed25519.did)
  })

  it("gives the bare id to the publisher the operator's app_owners names", async () => {
    const registry = await claimTwice([`shared@${second.ed25519.did}`])
    const apps = (await registry.getJson('/v1/apps')).body.apps as { address?: string }[]
    expect(apps.map((entry) => entry.address)).toEqual([undefined, `shared@${first.ed25519.did}`])
    expect(await installFrom(registry, 'shared')).toBe(second.ed25519.did)
    expect(await installFrom(registry, `shared@${first.ed25519.did}`)).toBe(first.ed25519.did)
  })
})
