// `archy agent install id@<publisher did>`: when two publishers claim one id, the bare id installs
// the entry the registry gives it and the address installs the other; unknown addresses name it.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { openAgent, type Agent } from '../../node-agent/agent-context.js'
import { addRegistry } from '../../node-agent/catalog-follower.js'
import { createStubExec, type ExecExpectation } from '../../node-agent/exec.js'
import { installApp } from '../../node-agent/install.js'
import { signCatalog, type Catalog } from '../../src/release/catalog.js'
import {
  adoptionProbes,
  appOver,
  buildCatalog,
  makePublisher,
  signRawRelease,
  startTestRegistry,
  type TestRegistry,
} from './agent-test-registry.js'

let dir: string
let registry: TestRegistry

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'agent-app-address-'))
  registry = await startTestRegistry()
})

afterEach(async () => {
  await registry.close()
  await rm(dir, { recursive: true, force: true })
})

async function openWith(expectations: ExecExpectation[]): Promise<Agent> {
  return openAgent({
    state: path.join(dir, 'state'),
    dataRoot: path.join(dir, 'apps'),
    hostIp: '192.0.2.10',
    exec: createStubExec(expectations),
  })
}

/** Two publishers' `shared` apps; the second is marked `address` as a registry marks it. */
function serveClaimedTwice(): { first: string; second: string } {
  const first = makePublisher()
  const second = makePublisher()
  const releases = [
    signRawRelease(first, [appOver('shared', 'old-shared')]),
    signRawRelease(second, [appOver('shared', 'old-shared')]),
  ]
  const unsigned = buildCatalog(registry, releases, 1) as Catalog & Record<string, unknown>
  const { proof: _proof, ...body } = unsigned
  const apps = body.apps.map((entry, index) =>
    index === 1 ? { ...entry, address: `shared@${second.ed25519.did}` } : entry,
  )
  registry.catalog = signCatalog({ ...body, apps }, registry.operator)
  return { first: first.ed25519.did, second: second.ed25519.did }
}

describe('installApp by app address', () => {
  it('installs the bare id from the publisher that owns it on the registry', async () => {
    const { first } = serveClaimedTwice()
    const agent = await openWith(adoptionProbes(['old-shared']))
    try {
      await addRegistry(agent.store, registry.url, registry.operator.did)
      const result = await installApp(agent, 'shared', { mode: 'podman' })
      expect(result.publisherDid).toBe(first)
    } finally {
      await agent.close()
    }
  })

  it('installs id@<did> from that publisher', async () => {
    const { second } = serveClaimedTwice()
    const agent = await openWith(adoptionProbes(['old-shared']))
    try {
      await addRegistry(agent.store, registry.url, registry.operator.did)
      const result = await installApp(agent, `shared@${second}`, { mode: 'podman' })
      expect(result.publisherDid).toBe(second)
      expect(agent.store.getInstall('shared')?.publisherDid).toBe(second)
    } finally {
      await agent.close()
    }
  })

  it('names an address no followed catalog has', async () => {
    serveClaimedTwice()
    const stranger = makePublisher().ed25519.did
    const agent = await openWith([])
    try {
      await addRegistry(agent.store, registry.url, registry.operator.did)
      await expect(installApp(agent, `shared@${stranger}`, { mode: 'podman' })).rejects.toThrow(
        `shared@${stranger} is in none of the followed registries' catalogs`,
      )
      await expect(installApp(agent, 'shared@did:web:x', { mode: 'podman' })).rejects.toThrow(
        `APP: "did:web:x" after "@" is not a publisher's did:key`,
      )
      expect(agent.store.listInstalls()).toEqual([])
    } finally {
      await agent.close()
    }
  })
})
