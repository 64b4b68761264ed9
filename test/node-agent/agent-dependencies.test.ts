// `archy agent install --with-dependencies`: missing app dependencies come first, from the
// dependent's own bed.registry; a cycle is refused; without the flag a missing one is named.
import { describe, expect, it } from 'vitest'

import { addRegistry } from '../../node-agent/catalog-follower.js'
import { installApp } from '../../node-agent/install.js'
import {
  adoptionProbes,
  appOver,
  buildCatalog,
  makePublisher,
  signRawRelease,
  openStubAgent,
  useAgentTestBed,
} from './agent-test-registry.js'

const bed = useAgentTestBed('agent-dependencies-')

describe('installApp --with-dependencies', () => {
  it('installs a missing dependency from the same bed.registry first', async () => {
    const publisher = makePublisher()
    const dep = appOver('dep-app', 'old-dep')
    const main = appOver('needs-dep', 'old-main', {
      dependencies: [{ app_id: 'dep-app', version: '>=1.0.0' }],
    })
    const releases = [signRawRelease(publisher, [dep]), signRawRelease(publisher, [main])]
    bed.registry.catalog = buildCatalog(bed.registry, releases, 1)
    const agent = await openStubAgent(bed.dir, adoptionProbes(['old-dep', 'old-main']))
    try {
      await addRegistry(agent.store, bed.registry.url, bed.registry.operator.did)
      const result = await installApp(agent, 'needs-dep', {
        mode: 'podman',
        withDependencies: true,
      })
      expect(result.dependencies).toEqual(['dep-app'])
      expect(agent.store.listInstalls().map((install) => install.appId)).toEqual([
        'dep-app',
        'needs-dep',
      ])
    } finally {
      await agent.close()
    }
  })

  it('refuses a dependency cycle before installing anything', async () => {
    const publisher = makePublisher()
    const a = appOver('app-a', 'old-a', { dependencies: [{ app_id: 'app-b' }] })
    const b = appOver('app-b', 'old-b', { dependencies: [{ app_id: 'app-a' }] })
    bed.registry.catalog = buildCatalog(
      bed.registry,
      [signRawRelease(publisher, [a]), signRawRelease(publisher, [b])],
      1,
    )
    const agent = await openStubAgent(bed.dir, [])
    try {
      await addRegistry(agent.store, bed.registry.url, bed.registry.operator.did)
      await expect(
        installApp(agent, 'app-a', { mode: 'podman', withDependencies: true }),
      ).rejects.toThrow('dependency cycle: app-a -> app-b -> app-a')
      expect(agent.store.listInstalls()).toEqual([])
    } finally {
      await agent.close()
    }
  })

  it('names the flag when a dependency is missing and it was not given', async () => {
    const publisher = makePublisher()
    const main = appOver('needs-dep', 'old-main', { dependencies: [{ app_id: 'dep-app' }] })
    bed.registry.catalog = buildCatalog(bed.registry, [signRawRelease(publisher, [main])], 1)
    const agent = await openStubAgent(bed.dir, [])
    try {
      await addRegistry(agent.store, bed.registry.url, bed.registry.operator.did)
      await expect(installApp(agent, 'needs-dep', { mode: 'podman' })).rejects.toThrow(
        'needs-dep: app.dependencies[0]: needs dep-app installed first ' +
          '(or install with --with-dependencies)',
      )
    } finally {
      await agent.close()
    }
  })
})
