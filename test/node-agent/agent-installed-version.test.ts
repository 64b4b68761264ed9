// The installed version moves only once a release runs: a reinstall to a newer release that fails
// keeps the old version in the store and shows the new one as pending in status.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { openAgent } from '../../node-agent/agent-context.js'
import { addRegistry, refreshRegistry } from '../../node-agent/catalog-follower.js'
import { createStubExec } from '../../node-agent/exec.js'
import { installApp } from '../../node-agent/install.js'
import { collectStatus, renderStatus } from '../../node-agent/status.js'
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
  dir = await mkdtemp(path.join(tmpdir(), 'agent-installed-version-'))
  registry = await startTestRegistry()
})

afterEach(async () => {
  await registry.close()
  await rm(dir, { recursive: true, force: true })
})

describe('installed version', () => {
  it('stays at the running release while a newer one fails to install', async () => {
    const publisher = makePublisher()
    const first = signRawRelease(publisher, [appOver('app', 'old-app')])
    registry.catalog = buildCatalog(registry, [first], 1)
    const info = adoptionProbes(['old-app'])[1]!
    const agent = await openAgent({
      state: path.join(dir, 'state'),
      dataRoot: path.join(dir, 'apps'),
      hostIp: '192.0.2.10',
      exec: createStubExec([...adoptionProbes(['old-app']), info]),
    })
    try {
      await addRegistry(agent.store, registry.url, registry.operator.did)
      expect((await installApp(agent, 'app', { mode: 'podman' })).version).toBe('1.0.0')
      expect(agent.store.getInstall('app')?.version).toBe('1.0.0')

      // 1.1.0 changes the config, so the adopted container must be recreated: the stub refuses
      // the image pull, as a registry that cannot be reached would.
      const environment = [{ key: 'MODE', value: 'new' }]
      const next = appOver('app', 'old-app', { version: '1.1.0', environment })
      registry.catalog = buildCatalog(registry, [signRawRelease(publisher, [next])], 2)
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
