// Adoption (DESIGN.md §5): a container found under one of the app's legacy names is taken over as
// it is, never recreated; the store records the adoption (the name and the release it came in
// at) and later passes leave it alone until a config change recreates it with the agent's labels.
import { describe, expect, it } from 'vitest'

import { AGENT_LABEL, CONFIG_HASH_LABEL } from '../../node-agent/config-hash.js'
import { APP_LABEL, VERSION_LABEL } from '../../node-agent/container-spec.js'

import { addRegistry } from '../../node-agent/catalog-follower.js'
import type { ExecExpectation } from '../../node-agent/exec.js'
import { installApp } from '../../node-agent/install.js'
import { loadInstalledApp } from '../../node-agent/installed-app.js'
import { reconcileApp } from '../../node-agent/lifecycle.js'
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
    const migration = {
      foundName: 'old-hello',
      legacyName: true,
      version: '1.0.0',
      adoptedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      relabelledAt: null,
    }
    expect(record?.migration).toEqual(migration)

    // A later pass finds it by its recorded name and leaves it as it is.
    expect(await reconcileApp(agent, 'hello-web')).toEqual([])
    const status = await collectStatus(agent)
    expect(status.apps[0]?.members).toEqual([
      {
        appId: 'hello-web',
        container: 'old-hello',
        state: 'running',
        adopted: true,
        migration,
        current: true,
      },
    ])
    expect(renderStatus(status)).toContain('  hello-web: running (adopted from old-hello at 1.0.0)')

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

describe('adoption records', () => {
  it("records a container under the app's own name as found there, not a legacy name", async () => {
    const agent = await openStubAgent(bed.dir, adoptionProbes(['app']))
    try {
      const release = signRawRelease(makePublisher(), [appOver('app', 'old-app')])
      bed.registry.catalog = buildCatalog(bed.registry, [release], 1)
      await addRegistry(agent.store, bed.registry.url, bed.registry.operator.did)
      await installApp(agent, 'app', { mode: 'podman' })
      expect(agent.store.listMembers('app')[0]?.migration).toMatchObject({
        foundName: 'app',
        legacyName: false,
        version: '1.0.0',
      })
    } finally {
      await agent.close()
    }
  })
})

describe('the recreate after an adoption', () => {
  it('replaces the adopted container with a labelled one under the canonical name', async () => {
    const publisher = makePublisher()
    const first = signRawRelease(publisher, [appOver('app', 'old-app')])
    const environment = [{ key: 'MODE', value: 'new' }]
    const next = signRawRelease(publisher, [
      appOver('app', 'old-app', { version: '1.1.0', environment }),
    ])
    bed.registry.catalog = buildCatalog(bed.registry, [first], 1)

    // Each listing shows the containers of the moment: the adopted one, then the agent's own.
    const adopted = { Id: 'c0', Names: ['old-app'], State: 'running', Image: 'x', Labels: {} }
    let listed: unknown[] = [adopted]
    const listing = { stdout: '' }
    let runArgs: string[] = []
    // Install: version, info, a listing; the reconcile: version, a listing, one while it waits
    // for health; status: a listing.
    const probes = adoptionProbes([])
      .filter((call) => !(call.args as string[]).includes('ps'))
      .map((call) => (call.times ? { ...call, times: 2 } : call))
    const agent = await openStubAgent(bed.dir, [
      ...probes,
      {
        command: 'podman',
        args: (args) => {
          if (args[0] !== 'ps') return false
          listing.stdout = JSON.stringify(listed)
          return true
        },
        result: listing,
        times: 4,
      },
      {
        command: 'podman',
        args: ['image', 'inspect', '--format', '{{.Id}}', 'registry.example/app:1.0.0'],
        result: { stdout: `${'b'.repeat(64)}\n` },
      },
      { command: 'podman', args: ['network', 'exists', 'archy-net'] },
      {
        command: 'podman',
        args: (args) => {
          if (args.join(' ') !== 'rm --force --ignore old-app') return false
          listed = []
          return true
        },
      },
      {
        command: 'podman',
        args: (args) => {
          if (args[0] !== 'run') return false
          runArgs = args
          const name = args[args.indexOf('--name') + 1]
          listed = [
            { Id: 'c1', Names: [name], State: 'running', Image: 'x', Labels: labelsOf(args) },
          ]
          return true
        },
        result: { stdout: `${'c'.repeat(64)}\n` },
      },
    ])
    try {
      await addRegistry(agent.store, bed.registry.url, bed.registry.operator.did)
      await installApp(agent, 'app', { mode: 'podman' })
      expect(agent.store.listMembers('app')[0]).toMatchObject({ adopted: true })

      // A new config (here a new release) is the next recreate.
      const install = agent.store.getInstall('app')!
      agent.store.saveInstall({ ...install, release: next }, agent.store.listMembers('app'))
      const steps = await reconcileApp(agent, 'app')
      expect(steps.map((step) => step.step)).toEqual(['recreate'])

      expect(runArgs[runArgs.indexOf('--name') + 1]).toBe('app')
      const { members } = await loadInstalledApp(agent, agent.store.getInstall('app')!)
      expect(labelsOf(runArgs)).toMatchObject({
        [APP_LABEL]: 'app',
        [VERSION_LABEL]: '1.1.0',
        [AGENT_LABEL]: agent.agentId,
        [CONFIG_HASH_LABEL]: members[0]!.configHash,
      })
      // The record of where the app came from stays, marked relabelled.
      const [record] = agent.store.listMembers('app')
      expect(record).toMatchObject({ adopted: false, containerName: 'app' })
      expect(record?.migration).toMatchObject({
        foundName: 'old-app',
        legacyName: true,
        version: '1.0.0',
        relabelledAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      })
      const text = renderStatus(await collectStatus(agent))
      expect(text).toContain('  app: running (migrated from old-app at 1.0.0)')
      agent.stub.assertAllUsed()
    } finally {
      await agent.close()
    }
  })
})

/** The `--label key=value` pairs of a podman run's arguments. */
function labelsOf(args: string[]): Record<string, string> {
  const pairs = args.flatMap((arg, i) => (args[i - 1] === '--label' ? [arg] : []))
  return Object.fromEntries(
    pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  )
}
