// Install and uninstall rules over a real HTTP catalog, a real SQLite store and the stub exec:
// one app per id, no ambiguous publisher, dependencies installed and satisfied, enough storage,
// every placeholder resolved; uninstall refuses stack members and apps others depend on.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import type { Agent } from '../../node-agent/agent-context.js'
import type { InstallRecord } from '../../node-agent/agent-store.js'
import { addRegistry } from '../../node-agent/catalog-follower.js'
import type { ExecExpectation, StubExec } from '../../node-agent/exec.js'
import { installApp } from '../../node-agent/install.js'
import { uninstallApp } from '../../node-agent/lifecycle.js'
import { ArchyError, ValidationError } from '../../src/errors.js'
import type { KeyPairs } from '../../src/identity/key-file.js'
import type { ReleaseDocument } from '../../src/release/release-document.js'
import {
  buildCatalog,
  makePublisher,
  openStubAgent,
  signRawRelease,
  startTestRegistry,
  type TestRegistry,
} from './agent-test-registry.js'

let dir: string
let registry: TestRegistry
let publisher: KeyPairs

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'agent-install-rules-'))
  registry = await startTestRegistry()
  publisher = makePublisher()
})

afterEach(async () => {
  await registry.close()
  await rm(dir, { recursive: true, force: true })
})

const probes: ExecExpectation[] = [
  {
    command: 'podman',
    args: ['version', '--format', '{{.Client.Version}}'],
    result: { stdout: '4.3.1\n' },
  },
  info(),
]

function info(rootless = true): ExecExpectation {
  const host = { cgroupVersion: 'v2', cgroupControllers: ['cpu', 'memory', 'pids'] }
  return {
    command: 'podman',
    args: ['info', '--format', 'json'],
    result: { stdout: JSON.stringify({ host: { ...host, security: { rootless } } }) },
  }
}

/** A manifest document for a registry-image app, with extra `app` keys. */
function appDocument(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const container = { image: `registry.example/${id}:1.0.0` }
  return { app: { id, name: id, version: '1.0.0', container, ...extra } }
}

function openTestAgent(expectations: ExecExpectation[] = []): Promise<Agent & { stub: StubExec }> {
  return openStubAgent(dir, expectations)
}

/** Serves the releases and follows the registry. */
async function follow(agent: Agent, releases: ReleaseDocument[]): Promise<void> {
  registry.catalog = buildCatalog(registry, releases, 1)
  await addRegistry(agent.store, registry.url, registry.operator.did)
}

/** Records an install of a signed release straight into the store (members in release order). */
function saveInstall(agent: Agent, release: ReleaseDocument, change: Partial<InstallRecord> = {}) {
  const install: InstallRecord = {
    appId: release.app,
    registryUrl: registry.url,
    publisherDid: release.author.did,
    version: release.version,
    release,
    desired: 'running',
    mode: 'podman',
    warnings: [],
    lastError: null,
    installedAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    ...change,
  }
  const ids = (release.manifests as { app: { id: string } }[]).map((manifest) => manifest.app.id)
  const members = ids.map((appId, position) => ({
    appId,
    installId: release.app,
    position,
    containerName: appId,
    configHash: 'h',
    adopted: false,
  }))
  agent.store.saveInstall(install, members)
  return install
}

/** Expects installApp to refuse with `message`, leaving the store's installs as they were. */
async function expectRefused(
  agent: Agent & { stub: StubExec },
  appId: string,
  message: string | RegExp,
  errorClass: typeof ArchyError = ArchyError,
): Promise<void> {
  const before = agent.store.listInstalls()
  const promise = installApp(agent, appId, { mode: 'podman' })
  await expect(promise).rejects.toBeInstanceOf(errorClass)
  await expect(promise).rejects.toThrow(message)
  expect(agent.store.listInstalls()).toEqual(before)
  expect(agent.stub.calls.map((call) => call.args[0])).not.toContain('run')
  agent.stub.assertAllUsed()
  expect(existsSync(path.join(dir, 'apps', appId))).toBe(false)
}

describe('installApp refusals', () => {
  it('refuses an id already installed from another publisher', async () => {
    const agent = await openTestAgent()
    const other = makePublisher()
    saveInstall(agent, signRawRelease(other, [appDocument('hello-web')]))
    await follow(agent, [signRawRelease(publisher, [appDocument('hello-web')])])
    await expectRefused(
      agent,
      'hello-web',
      `hello-web is already installed from publisher ${other.ed25519.did} via ${registry.url}; ` +
        "uninstall it before installing another publisher's app of that id",
    )
    await agent.close()
  })

  it('refuses an id already installed from another registry', async () => {
    const agent = await openTestAgent()
    const release = signRawRelease(publisher, [appDocument('hello-web')])
    saveInstall(agent, release, { registryUrl: 'http://127.0.0.1:9' })
    await follow(agent, [release])
    await expectRefused(
      agent,
      'hello-web',
      /already installed from publisher .* via http:\/\/127\.0\.0\.1:9;/,
    )
    await agent.close()
  })

  it('refuses an id that two publishers publish in the followed catalogs', async () => {
    const agent = await openTestAgent()
    const other = makePublisher()
    await follow(agent, [
      signRawRelease(publisher, [appDocument('hello-web')]),
      signRawRelease(other, [appDocument('hello-web')]),
    ])
    await expectRefused(
      agent,
      'hello-web',
      `hello-web names apps of several publishers in the followed catalogs; install one of: ` +
        `hello-web@${publisher.ed25519.did}, hello-web@${other.ed25519.did}`,
    )
    await agent.close()
  })

  it('refuses an app whose dependency is not installed', async () => {
    const agent = await openTestAgent()
    const needs = appDocument('needs-dep', {
      dependencies: [{ app_id: 'dep-app', version: '>=2.0.0' }],
    })
    await follow(agent, [signRawRelease(publisher, [needs])])
    await expectRefused(
      agent,
      'needs-dep',
      'needs-dep: app.dependencies[0]: needs dep-app installed first ' +
        '(or install with --with-dependencies)',
      ValidationError,
    )
    await agent.close()
  })

  it('refuses an app whose installed dependency has a version outside the range', async () => {
    const agent = await openTestAgent()
    saveInstall(agent, signRawRelease(publisher, [appDocument('dep-app')]))
    const needs = appDocument('needs-dep', {
      dependencies: [{ app_id: 'dep-app', version: '>=2.0.0' }],
    })
    await follow(agent, [signRawRelease(publisher, [needs])])
    await expectRefused(
      agent,
      'needs-dep',
      'needs-dep: app.dependencies[0]: needs dep-app >=2.0.0; 1.0.0 is installed',
      ValidationError,
    )
    await agent.close()
  })

  it('refuses a storage dependency larger than the free space under the data root', async () => {
    const agent = await openTestAgent()
    const big = appDocument('big-app', { dependencies: [{ storage: '1000Ti' }] })
    await follow(agent, [signRawRelease(publisher, [big])])
    await expectRefused(
      agent,
      'big-app',
      new RegExp(
        `^big-app: app\\.dependencies\\[0\\]\\.storage: needs ${1000 * 2 ** 40} bytes free ` +
          `under ${path.join(dir, 'apps')}; \\d+ are$`,
      ),
      ValidationError,
    )
    await agent.close()
  })

  it('refuses a placeholder this node has no value for, naming the flag that gives one', async () => {
    const agent = await openTestAgent(probes)
    delete agent.context.values.HOST_IP
    const container = {
      image: 'registry.example/hello-web:1.0.0',
      derived_env: [
        { key: 'NAME', template: '{{APP_ID}}' },
        { key: 'URL', template: 'http://{{HOST_IP}}:18080' },
      ],
    }
    await follow(agent, [signRawRelease(publisher, [appDocument('hello-web', { container })])])
    await expectRefused(
      agent,
      'hello-web',
      'hello-web: app.container.derived_env[1].template: no value for {{HOST_IP}} on this node; ' +
        'pass --host-ip',
      ValidationError,
    )
    await agent.close()
  })

  it('refuses a Podman that runs as root', async () => {
    const agent = await openTestAgent([probes[0]!, info(false)])
    await follow(agent, [signRawRelease(publisher, [appDocument('hello-web')])])
    await expectRefused(
      agent,
      'hello-web',
      'Podman runs as root here; apps are installed on rootless Podman only: ' +
        'run the agent as an unprivileged user',
    )
    await agent.close()
  })

  it('refuses a named volume whose namespaced name Quadlet would read as a unit', async () => {
    const agent = await openTestAgent(probes)
    const volumes = [{ type: 'volume', source: 'volume', target: '/data' }]
    await follow(agent, [signRawRelease(publisher, [appDocument('hello-web', { volumes })])])
    await expectRefused(agent, 'hello-web', /hello-web: app\.volumes\[0\]\.source: "volume"/)
    await agent.close()
  })
})

describe('uninstallApp rules', () => {
  it('refuses a stack member, naming the stack to uninstall', async () => {
    const agent = await openTestAgent()
    const web = appDocument('notes-web', { dependencies: [{ app_id: 'notes-api' }] })
    saveInstall(agent, signRawRelease(publisher, [web, appDocument('notes-api')]))
    const promise = uninstallApp(agent, 'notes-api', { purge: true })
    await expect(promise).rejects.toThrow(
      'notes-api is part of the notes-web stack; uninstall notes-web',
    )
    expect(agent.store.findOwner('notes-api')).toBe('notes-web')
    expect(agent.stub.calls).toEqual([])
    await agent.close()
  })

  it('refuses an app another installed app depends on', async () => {
    const agent = await openTestAgent()
    saveInstall(agent, signRawRelease(publisher, [appDocument('dep-app')]))
    const needs = appDocument('needs-dep', { dependencies: [{ app_id: 'dep-app' }] })
    saveInstall(agent, signRawRelease(publisher, [needs]))
    await expect(uninstallApp(agent, 'dep-app', { purge: false })).rejects.toThrow(
      'needs-dep depends on dep-app; uninstall needs-dep first',
    )
    expect(agent.store.getInstall('dep-app')).toBeDefined()
    agent.stub.assertAllUsed()
    await agent.close()
  })
})

describe('uninstallApp --purge', () => {
  const container = JSON.stringify([
    { Id: 'abc123', Names: ['hello-web'], State: 'running', Image: 'x', Labels: {} },
  ])
  const removal: ExecExpectation[] = [
    { command: 'podman', args: ['ps', '-a', '--format', 'json'], result: { stdout: container } },
    { command: 'podman', args: ['rm', '--force', '--ignore', 'hello-web'] },
    // The app's network goes once no container uses it.
    { command: 'podman', args: ['network', 'rm', 'archy-net'] },
  ]
  const volumes = [
    { type: 'volume', source: 'cache', target: '/cache' },
    { type: 'tmpfs', target: '/tmp' },
  ]

  it("removes the app's namespaced volumes with its data", async () => {
    const agent = await openTestAgent([
      ...removal,
      {
        command: 'podman',
        args: ['unshare', 'rm', '-rf', '--', path.join(dir, 'apps', 'hello-web')],
      },
      {
        command: 'podman',
        args: ['unshare', 'rm', '-rf', '--', path.join(dir, 'apps', '.snapshots', 'hello-web')],
      },
      {
        command: 'podman',
        args: ['volume', 'rm', 'archy.hello-web.cache'],
        result: { exitCode: 1, stderr: 'Error: no volume with name "x" found: no such volume' },
      },
    ])
    saveInstall(agent, signRawRelease(publisher, [appDocument('hello-web', { volumes })]))
    const result = await uninstallApp(agent, 'hello-web', { purge: true })
    expect(result).toEqual({
      removed: ['hello-web'],
      otherAgents: [],
      purged: [path.join(dir, 'apps', 'hello-web')],
      volumes: ['archy.hello-web.cache'],
    })
    agent.stub.assertAllUsed()
    await agent.close()
  })

  it('keeps the volumes without --purge', async () => {
    const agent = await openTestAgent(removal)
    saveInstall(agent, signRawRelease(publisher, [appDocument('hello-web', { volumes })]))
    const result = await uninstallApp(agent, 'hello-web', { purge: false })
    expect(result).toEqual({ removed: ['hello-web'], otherAgents: [], purged: [], volumes: [] })
    expect(agent.stub.calls.map((call) => call.args[0])).toEqual(['ps', 'rm', 'network'])
    expect(agent.store.getInstall('hello-web')).toBeUndefined()
    await agent.close()
  })

  it('fails naming the volume when Podman cannot remove it', async () => {
    const agent = await openTestAgent([
      ...removal,
      { command: 'podman', args: (args) => args[0] === 'unshare', times: 2 },
      {
        command: 'podman',
        args: ['volume', 'rm', 'archy.hello-web.cache'],
        result: { exitCode: 2, stderr: 'Error: volume is being used by container x' },
      },
    ])
    saveInstall(agent, signRawRelease(publisher, [appDocument('hello-web', { volumes })]))
    await expect(uninstallApp(agent, 'hello-web', { purge: true })).rejects.toThrow(
      'podman volume rm archy.hello-web.cache: exited with 2: Error: volume is being used',
    )
    await agent.close()
  })

  it('uninstalls an app whose placeholder has no value on this node any more', async () => {
    const agent = await openTestAgent(removal)
    delete agent.context.values.HOST_IP
    const container = {
      image: 'registry.example/hello-web:1.0.0',
      derived_env: [{ key: 'URL', template: 'http://{{HOST_IP}}:18080' }],
    }
    saveInstall(agent, signRawRelease(publisher, [appDocument('hello-web', { container })]))
    expect(await uninstallApp(agent, 'hello-web', { purge: false })).toMatchObject({
      removed: ['hello-web'],
    })
    agent.stub.assertAllUsed()
    await agent.close()
  })
})
