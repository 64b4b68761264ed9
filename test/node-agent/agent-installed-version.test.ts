// The installed version moves only once a release runs: a reinstall to a newer release that fails
// keeps the old version in the store and shows the new one as pending in status.
import { describe, expect, it } from 'vitest'

import { addRegistry, refreshRegistry } from '../../node-agent/catalog-follower.js'
import { installApp } from '../../node-agent/install.js'
import { collectStatus, renderStatus } from '../../node-agent/status.js'
import {
  adoptionProbes,
  appOver,
  buildCatalog,
  makePublisher,
  signRawRelease,
  openStubAgent,
  useAgentTestBed,
} from './agent-test-registry.js'

const bed = useAgentTestBed('agent-installed-version-')

describe('installed version', () => {
  it('stays at the running release while a newer one fails to install', async () => {
    const publisher = makePublisher()
    const first = signRawRelease(publisher, [appOver('app', 'old-app')])
    bed.registry.catalog = buildCatalog(bed.registry, [first], 1)
    const info = adoptionProbes(['old-app'])[1]!
    const agent = await openStubAgent(bed.dir, [...adoptionProbes(['old-app']), info])
    try {
      await addRegistry(agent.store, bed.registry.url, bed.registry.operator.did)
      expect((await installApp(agent, 'app', { mode: 'podman' })).version).toBe('1.0.0')
      expect(agent.store.getInstall('app')?.version).toBe('1.0.0')

      // 1.1.0 changes the config, so the adopted container must be recreated: the stub refuses
      // the image pull, as a bed.registry that cannot be reached would.
      const environment = [{ key: 'MODE', value: 'new' }]
      const next = appOver('app', 'old-app', { version: '1.1.0', environment })
      bed.registry.catalog = buildCatalog(bed.registry, [signRawRelease(publisher, [next])], 2)
      await refreshRegistry(agent.store, agent.store.listRegistries()[0]!)
      await expect(installApp(agent, 'app', { mode: 'podman' })).rejects.toThrow(
        /unexpected call: podman (pull|image)/,
      )

      expect(agent.store.getInstall('app')?.version).toBe('1.0.0')
      const status = await collectStatus(agent)
      expect(status.apps[0]).toMatchObject({ version: '1.0.0', pendingVersion: '1.1.0' })
      expect(renderStatus(status)).toContain('pending: 1.1.0 (its install has not succeeded yet)')
    } finally {
      await agent.close()
    }
  })
})
