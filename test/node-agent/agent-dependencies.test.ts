// `archy agent install --with-dependencies`: missing app dependencies come first, from the
// dependent's own registry; a cycle is refused; without the flag a missing one is named.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { openAgent, type Agent } from '../../node-agent/agent-context.js'
import { addRegistry } from '../../node-agent/catalog-follower.js'
import { createStubExec, type ExecExpectation } from '../../node-agent/exec.js'
import { installApp } from '../../node-agent/install.js'
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
  dir = await mkdtemp(path.join(tmpdir(), 'agent-dependencies-'))
  registry = await startTestRegistry()
})

afterEach(async () => {
  await registry.close()
  await rm(dir, { recursive: true, force: true })
})

async function openWith(expectations: ExecExpectation[]): Promise<Agent> {
  const agent = await openAgent({
    state: path.join(dir, 'state'),
    dataRoot: path.join(dir, 'apps'),
    hostIp: '192.0.2.10',
    exec: createStubExec(expectations),
  })
  return agent
}

describe('installApp --with-dependencies', () => {
  it('installs a missing dependency from the same registry first', async () => {
    const publisher = makePublisher()
    const dep = appOver('dep-app', 'old-dep')
    const main = appOver('needs-dep', 'old-main', {
      dependencies: [{ app_id: 'dep-app', version: '>=1.0.0' }],
    })
    const releases = [signRawRelease(publisher, [dep]), signRawRelease(publisher, [main])]
    registry.catalog = buildCatalog(registry, releases, 1)
    const agent = await openWith(adoptionProbes(['old-dep', 'old-main']))
    try {
      await addRegistry(agent.store, registry.url, registry.operator.did)
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
    registry.catalog = buildCatalog(
      registry,
      [signRawRelease(publisher, [a]), signRawRelease(publisher, [b])],
      1,
    )
    const agent = await openWith([])
    try {
      await addRegistry(agent.store, registry.url, registry.operator.did)
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
    registry.catalog = buildCatalog(registry, [signRawRelease(publisher, [main])], 1)
    const agent = await openWith([])
    try {
      await addRegistry(agent.store, registry.url, registry.operator.did)
      await expect(installApp(agent, 'needs-dep', { mode: 'podman' })).rejects.toThrow(
        'needs-dep: app.dependencies[0]: needs dep-app installed first ' +
          '(or install with --with-dependencies)',
      )
    } finally {
      await agent.close()
    }
  })
})
