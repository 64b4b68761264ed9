// Adoption (DESIGN.md §5): a container found under one of the app's legacy names is taken over as
// it is, never recreated; the store records the adoption and later passes leave it alone.
import { describe, expect, it } from 'vitest'

import { addRegistry } from '../../node-agent/catalog-follower.js'
import type { ExecExpectation } from '../../node-agent/exec.js'
import { installApp } from '../../node-agent/install.js'
import { reconcileApp } from '../../node-agent/lifecycle.js'
import { collectStatus, renderStatus } from '../../node-agent/status.js'
import {
  buildCatalog,
  makePublisher,
  signRawRelease,
  openStubAgent,
  useAgentTestBed,
} from './agent-test-registry.js'

const bed = useAgentTestBed('agent-adopt-')

const version: ExecExpectation = {
  command: 'podman',
  args: ['version', '--format', '{{.Client.Version}}'],
  result: { stdout: '4.3.1\n' },
}
const info: ExecExpectation = {
  command: 'podman',
  args: ['info', '--format', 'json'],
  result: {
    stdout: JSON.stringify({
      host: {
        cgroupVersion: 'v2',
        cgroupControllers: ['cpu', 'memory'],
        security: { rootless: true },
      },
    }),
  },
}

/** `podman ps` showing one unlabelled container under a legacy name. */
function listing(state: string, times: number): ExecExpectation {
  const container = { Id: 'abc123def456', Names: ['old-hello'], State: state, Image: 'x' }
  return {
    command: 'podman',
    args: ['ps', '-a', '--format', 'json'],
    result: { stdout: JSON.stringify([{ ...container, Labels: { maintainer: 'someone' } }]) },
    times,
  }
}

describe('reconcileInstalledApp adoption', () => {
  it('adopts a running container under a legacy name without recreating it', async () => {
    const agent = await openStubAgent(bed.dir, [version, info, version, listing('running', 3)])
    const { stub } = agent
    const container = { image: 'registry.example/hello:1.0.0', legacy_names: ['old-hello'] }
    const manifest = { app: { id: 'hello-web', name: 'Hello', version: '1.0.0', container } }
    bed.registry.catalog = buildCatalog(
      bed.registry,
      [signRawRelease(makePublisher(), [manifest])],
      1,
    )
    await addRegistry(agent.store, bed.registry.url, bed.registry.operator.did)

    const result = await installApp(agent, 'hello-web', { mode: 'podman' })
    expect(result.steps).toEqual([{ appId: 'hello-web', step: 'adopt', reason: 'adopted' }])
    const [record] = agent.store.listMembers('hello-web')
    expect(record).toMatchObject({ adopted: true, containerName: 'old-hello' })
    expect(record?.configHash).toMatch(/^[0-9a-f]{16,}$/)

    // A later pass finds it by its recorded name and leaves it as it is.
    expect(await reconcileApp(agent, 'hello-web')).toEqual([])
    const status = await collectStatus(agent)
    expect(status.apps[0]?.members).toEqual([
      {
        appId: 'hello-web',
        container: 'old-hello',
        state: 'running',
        adopted: true,
        current: true,
      },
    ])
    expect(renderStatus(status)).toContain('  hello-web: running (adopted)')

    const verbs = stub.calls.map((call) => call.args[0])
    for (const verb of ['run', 'rm', 'stop', 'start', 'create']) expect(verbs).not.toContain(verb)
    stub.assertAllUsed()
    await agent.close()
  })

  it('adopts a stopped legacy container and starts it in place', async () => {
    const agent = await openStubAgent(bed.dir, [
      version,
      info,
      version,
      listing('exited', 1),
      { command: 'podman', args: ['start', 'old-hello'] },
      listing('running', 1),
    ])
    const { stub } = agent
    const container = { image: 'registry.example/hello:1.0.0', legacy_names: ['old-hello'] }
    const manifest = { app: { id: 'hello-web', name: 'Hello', version: '1.0.0', container } }
    bed.registry.catalog = buildCatalog(
      bed.registry,
      [signRawRelease(makePublisher(), [manifest])],
      1,
    )
    await addRegistry(agent.store, bed.registry.url, bed.registry.operator.did)

    const result = await installApp(agent, 'hello-web', { mode: 'podman' })
    expect(result.steps.map((step) => step.step)).toEqual(['adopt', 'start'])
    expect(agent.store.listMembers('hello-web')[0]).toMatchObject({
      adopted: true,
      containerName: 'old-hello',
    })
    expect(stub.calls.map((call) => call.args[0])).not.toContain('run')
    stub.assertAllUsed()
    await agent.close()
  })
})
