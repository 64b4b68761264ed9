// Updates over the exec seam: an update a crash left `updating` is finished by the next reconcile
// or, when the new release cannot be created, rolled back to the release before it; pins are
// checked; status shows what is available from the last accepted catalog.
import { describe, expect, it } from 'vitest'

import type { UpdateRecord } from '../../node-agent/agent-store.js'
import type { ExecExpectation } from '../../node-agent/exec.js'
import { addRegistry } from '../../node-agent/catalog-follower.js'
import { AGENT_LABEL, CONFIG_HASH_LABEL } from '../../node-agent/config-hash.js'
import { APP_LABEL } from '../../node-agent/container-spec.js'
import { installApp } from '../../node-agent/install.js'
import { loadInstalledApp } from '../../node-agent/installed-app.js'
import { reconcileApp } from '../../node-agent/lifecycle.js'
import { findAvailableVersion, pinApp } from '../../node-agent/update-policy.js'
import {
  adoptionProbes,
  appOver,
  buildCatalog,
  makePublisher,
  openStubAgent,
  signRawRelease,
  useAgentTestBed,
} from './agent-test-registry.js'

const bed = useAgentTestBed('agent-update-')

/** What a recreate of `app` over the adopted `old-app` asks before its `podman run`. */
function recreateCalls(runExit: number): ExecExpectation[] {
  return [
    {
      command: 'podman',
      args: ['image', 'inspect', '--format', '{{.Id}}', 'registry.example/app:1.0.0'],
      result: { stdout: `${'b'.repeat(64)}\n` },
    },
    { command: 'podman', args: ['network', 'exists', 'archy-net'] },
    { command: 'podman', args: ['rm', '--force', '--ignore', 'old-app'] },
    {
      command: 'podman',
      args: (args) => args[0] === 'run',
      result: { exitCode: runExit, stderr: 'Error: the runtime refused' },
    },
  ]
}

/** The record of an update from 1.0.0 (`first`) to 1.1.0 that a crash left `updating`. */
function interruptedUpdate(first: unknown): UpdateRecord {
  return {
    appId: 'app',
    state: 'updating',
    fromVersion: '1.0.0',
    toVersion: '1.1.0',
    fromRelease: first,
    snapshots: [],
    warnings: [],
    error: null,
    startedAt: new Date().toISOString(),
    finishedAt: null,
  }
}

describe('an update interrupted by a crash', () => {
  it('rolls back to the release before it when the new one cannot be created', async () => {
    const publisher = makePublisher()
    const first = signRawRelease(publisher, [appOver('app', 'old-app')])
    const environment = [{ key: 'MODE', value: 'new' }]
    const next = signRawRelease(publisher, [
      appOver('app', 'old-app', { version: '1.1.0', environment }),
    ])
    bed.registry.catalog = buildCatalog(bed.registry, [first], 1)
    const agent = await openStubAgent(bed.dir, [
      // Install, resume and rollback: four version probes and four listings in all.
      ...adoptionProbes(['old-app']).map((call) => (call.times ? { ...call, times: 4 } : call)),
      ...recreateCalls(125),
      { command: 'podman', args: ['stop', '--time', '10', 'old-app'] },
    ])
    try {
      await addRegistry(agent.store, bed.registry.url, bed.registry.operator.did)
      await installApp(agent, 'app', { mode: 'podman' })

      // As a crash right after the new release was recorded leaves the store.
      const install = agent.store.getInstall('app')!
      agent.store.saveInstall({ ...install, release: next }, agent.store.listMembers('app'))
      agent.store.saveUpdate(interruptedUpdate(first))

      expect(await reconcileApp(agent, 'app')).toEqual([])
      agent.stub.assertAllUsed()
      expect(agent.store.getUpdate('app')).toMatchObject({
        state: 'rolled-back',
        error: expect.stringMatching(/^1\.1\.0 failed: podman run .*exited with 125/),
      })
      const after = agent.store.getInstall('app')!
      expect((after.release as { version: string }).version).toBe('1.0.0')
      expect(after.version).toBe('1.0.0')
      expect(after.lastError).toMatch(/^update to 1\.1\.0 failed: .*; rolled back to 1\.0\.0$/)
    } finally {
      await agent.close()
    }
  })
})

describe('an update a crash interrupted after its containers were made', () => {
  it('keeps the old version installed until the gate holds, then records the new', async () => {
    const publisher = makePublisher()
    const first = signRawRelease(publisher, [appOver('app', 'old-app')])
    const next = signRawRelease(publisher, [appOver('app', 'old-app', { version: '1.1.0' })])
    bed.registry.catalog = buildCatalog(bed.registry, [first], 1)
    const adopted = { Id: 'c0', Names: ['old-app'], State: 'running', Image: 'x', Labels: {} }
    const listing = { stdout: JSON.stringify([adopted]) }
    const seenDuringGate: string[] = []
    const ref: { agent?: Awaited<ReturnType<typeof openStubAgent>> } = {}
    const agent = await openStubAgent(bed.dir, [
      ...adoptionProbes(['old-app']).filter((call) => !(call.args as string[]).includes('ps')),
      {
        command: 'podman',
        args: ['image', 'inspect', '--format', '{{.Id}}', 'registry.example/app:1.0.0'],
        result: { stdout: `${'b'.repeat(64)}\n` },
      },
      {
        command: 'podman',
        // Each listing while the store says `updating` notes the version it says is installed.
        args: (args) => {
          if (args[0] !== 'ps') return false
          if (ref.agent?.store.getUpdate('app')?.state === 'updating') {
            seenDuringGate.push(ref.agent.store.getInstall('app')!.version)
          }
          return true
        },
        result: listing,
        times: 10,
      },
    ])
    ref.agent = agent
    try {
      await addRegistry(agent.store, bed.registry.url, bed.registry.operator.did)
      await installApp(agent, 'app', { mode: 'podman' })

      // As a crash leaves it once the new release's container was made and recorded, before
      // the gate held: the new release stored, the container labelled with its config.
      const install = agent.store.getInstall('app')!
      agent.store.saveInstall({ ...install, release: next }, agent.store.listMembers('app'))
      const { members } = await loadInstalledApp(agent, agent.store.getInstall('app')!)
      const configHash = members[0]!.configHash
      agent.store.updateMember('app', { configHash })
      const labels = {
        [APP_LABEL]: 'app',
        [CONFIG_HASH_LABEL]: configHash,
        [AGENT_LABEL]: agent.agentId,
      }
      listing.stdout = JSON.stringify([{ ...adopted, Labels: labels }])
      agent.store.saveUpdate(interruptedUpdate(first))

      expect(await reconcileApp(agent, 'app')).toEqual([])
      // The resumed pass lists once, then the gate lists while it waits for health.
      expect(seenDuringGate.length).toBeGreaterThanOrEqual(2)
      expect(new Set(seenDuringGate)).toEqual(new Set(['1.0.0']))
      expect(agent.store.getUpdate('app')).toMatchObject({ state: 'updated', error: null })
      expect(agent.store.getInstall('app')!.version).toBe('1.1.0')
    } finally {
      await agent.close()
    }
  })
})

describe('pinApp', () => {
  it('refuses a VERSION that is no SemVer version, and one its registry does not have', async () => {
    const publisher = makePublisher()
    bed.registry.catalog = buildCatalog(
      bed.registry,
      [signRawRelease(publisher, [appOver('app', 'old-app')])],
      1,
    )
    const agent = await openStubAgent(bed.dir, adoptionProbes(['old-app']))
    try {
      await addRegistry(agent.store, bed.registry.url, bed.registry.operator.did)
      await installApp(agent, 'app', { mode: 'podman' })
      await expect(pinApp(agent, 'app', 'latest')).rejects.toThrow(
        'VERSION: "latest" is not a SemVer version such as 1.4.2',
      )
      await expect(pinApp(agent, 'app', '0.9.0')).rejects.toThrow(
        `app 0.9.0 is not among the releases ${bed.registry.url} has`,
      )
      expect(await pinApp(agent, 'app')).toEqual({
        appId: 'app',
        pinnedVersion: '1.0.0',
        installed: '1.0.0',
      })
      expect(agent.store.getPolicy('app')).toEqual({ pinnedVersion: '1.0.0', autoUpdate: false })
    } finally {
      await agent.close()
    }
  })
})

describe('findAvailableVersion', () => {
  const install = {
    appId: 'app',
    registryUrl: 'http://r',
    publisherDid: 'did:key:zA',
    release: { version: '1.2.0' },
  }
  const entry = (version: string, did = 'did:key:zA', id = 'app') => ({
    id,
    version,
    publisher: { did },
  })
  const cases: [string, unknown[], string | null][] = [
    ['a newer release', [entry('1.3.0')], '1.3.0'],
    ['the same release', [entry('1.2.0')], null],
    ['an older release', [entry('1.1.0')], null],
    ["another publisher's newer release", [entry('2.0.0', 'did:key:zB')], null],
    ["another app's newer release", [entry('2.0.0', 'did:key:zA', 'other')], null],
    ['the newest of several', [entry('1.3.0'), entry('1.10.0'), entry('1.9.0')], '1.10.0'],
  ]
  for (const [name, apps, expected] of cases) {
    it(`answers ${expected ?? 'null'} for ${name}`, () => {
      const registries = [{ url: 'http://r', catalog: { apps } }]
      expect(findAvailableVersion(install, registries)).toBe(expected)
    })
  }
})
