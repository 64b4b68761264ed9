// `archy agent install id@<publisher did>`: when two publishers claim one id, the bare id installs
// the entry the bed.registry gives it and the address installs the other; unknown addresses name it.
import { describe, expect, it } from 'vitest'

import { addRegistry } from '../../node-agent/catalog-follower.js'
import { installApp } from '../../node-agent/install.js'
import { signCatalog, type Catalog } from '../../src/release/catalog.js'
import {
  adoptionProbes,
  appOver,
  buildCatalog,
  makePublisher,
  signRawRelease,
  openStubAgent,
  useAgentTestBed,
} from './agent-test-registry.js'

const bed = useAgentTestBed('agent-app-address-')

/** Two publishers' `shared` apps; the second is marked `address` as a bed.registry marks it. */
function serveClaimedTwice(): { first: string; second: string } {
  const first = makePublisher()
  const second = makePublisher()
  const releases = [
    signRawRelease(first, [appOver('shared', 'old-shared')]),
    signRawRelease(second, [appOver('shared', 'old-shared')]),
  ]
  const unsigned = buildCatalog(bed.registry, releases, 1) as Catalog & Record<string, unknown>
  const { proof: _proof, ...body } = unsigned
  const apps = body.apps.map((entry, index) =>
    index === 1 ? { ...entry, address: `shared@${second.ed25519.did}` } : entry,
  )
  bed.registry.catalog = signCatalog({ ...body, apps }, bed.registry.operator)
  return { first: first.ed25519.did, second: second.ed25519.did }
}

describe('installApp by app address', () => {
  it('installs the bare id from the publisher that owns it on the bed.registry', async () => {
    const { first } = serveClaimedTwice()
    const agent = await openStubAgent(bed.dir, adoptionProbes(['old-shared']))
    try {
      await addRegistry(agent.store, bed.registry.url, bed.registry.operator.did)
      const result = await installApp(agent, 'shared', { mode: 'podman' })
      expect(result.publisherDid).toBe(first)
    } finally {
      await agent.close()
    }
  })

  it('installs id@<did> from that publisher', async () => {
    const { second } = serveClaimedTwice()
    const agent = await openStubAgent(bed.dir, adoptionProbes(['old-shared']))
    try {
      await addRegistry(agent.store, bed.registry.url, bed.registry.operator.did)
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
    const agent = await openStubAgent(bed.dir, [])
    try {
      await addRegistry(agent.store, bed.registry.url, bed.registry.operator.did)
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
