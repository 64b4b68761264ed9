// Refusals through real HTTP: tampered, foreign, rolled back, replayed-with-changes and expired
// catalogs, an artifact whose bytes do not match, and manifests that break the rootless rules.
// Each is refused with a clear error and leaves nothing installed.
import { existsSync, readdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import type { Agent } from '../../node-agent/agent-context.js'
import { addRegistry } from '../../node-agent/catalog-follower.js'
import type { ExecExpectation, StubExec } from '../../node-agent/exec.js'
import { installApp } from '../../node-agent/install.js'
import { generateEd25519 } from '../../src/identity/did-key.js'
import type { KeyPairs } from '../../src/identity/key-file.js'
import type { ReleaseDocument } from '../../src/release/release-document.js'
import { runCli } from '../support/cli.js'
import { copyExampleApp } from '../support/example-apps.js'
import {
  buildCatalog,
  makePublisher,
  openStubAgent,
  publishFiles,
  signRawRelease,
  startTestRegistry,
  type TestRegistry,
} from './agent-test-registry.js'

const HELLO = path.join(copyExampleApp('hello-web'), 'manifest.yml')

let dir: string
let registry: TestRegistry
let publisher: KeyPairs
let hello: ReleaseDocument

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'agent-refusals-'))
  registry = await startTestRegistry()
  publisher = makePublisher()
  hello = await publishFiles(registry, [HELLO], publisher)
})

afterEach(async () => {
  await registry.close()
  await rm(dir, { recursive: true, force: true })
})

/** Opens the agent with a stub exec that answers only the given calls. */
function openTestAgent(expectations: ExecExpectation[] = []): Promise<Agent & { stub: StubExec }> {
  return openStubAgent(dir, expectations)
}

/** Follows the registry at `sequence` (empty catalog), then serves `next` for the install. */
async function followThenServe(sequence: number, next: unknown): Promise<void> {
  registry.catalog = buildCatalog(registry, [], sequence)
  const agent = await openTestAgent()
  try {
    await addRegistry(agent.store, registry.url, registry.operator.did)
  } finally {
    await agent.close()
  }
  registry.catalog = next
}

async function expectInstallRefused(
  message: RegExp,
  expectations: ExecExpectation[] = [],
): Promise<void> {
  const agent = await openTestAgent(expectations)
  try {
    await expect(installApp(agent, 'hello-web', { mode: 'auto' })).rejects.toThrow(message)
    expect(agent.store.listInstalls()).toEqual([])
    expect(agent.stub.calls.map((call) => call.args[0])).not.toContain('run')
    agent.stub.assertAllUsed()
  } finally {
    await agent.close()
  }
  expect(existsSync(path.join(dir, 'apps'))).toBe(false)
}

const podmanProbes: ExecExpectation[] = [
  {
    command: 'podman',
    args: ['version', '--format', '{{.Client.Version}}'],
    result: { stdout: '4.3.1\n' },
  },
  {
    command: 'podman',
    args: ['info', '--format', 'json'],
    result: {
      stdout: JSON.stringify({ host: { cgroupVersion: 'v2', security: { rootless: true } } }),
    },
  },
]

function manifestAsking(
  extra: Record<string, unknown>,
  volumes: unknown[] = [],
): Record<string, unknown> {
  return {
    app: {
      id: 'hello-web',
      name: 'Hello',
      version: '2.0.0',
      container: { image: 'registry.example/hello:2.0.0', ...extra },
      volumes,
    },
  }
}

describe('agent install refusals', () => {
  it('refuses a catalog whose release was changed after signing', async () => {
    const changed = structuredClone(hello) as unknown as {
      manifests: { app: { ports: { host: number }[] } }[]
    }
    changed.manifests[0]!.app.ports[0]!.host = 18090
    await followThenServe(1, buildCatalog(registry, [changed as unknown as ReleaseDocument], 2))
    await expectInstallRefused(/refused: .*catalog\.apps\[0\]\.release.*(signature|proof)/i)
  })

  it('refuses a catalog signed by another key than the pinned one', async () => {
    const other = generateEd25519()
    await followThenServe(1, buildCatalog(registry, [hello], 2, { signer: other }))
    await expectInstallRefused(new RegExp(`signed by ${other.did}, not by the pinned registry key`))
  })

  it('refuses a catalog with a lower sequence than the last accepted', async () => {
    await followThenServe(5, buildCatalog(registry, [hello], 4))
    await expectInstallRefused(/sequence 4 is lower than the last accepted 5/)
  })

  it('refuses an equal sequence with different content', async () => {
    await followThenServe(5, buildCatalog(registry, [hello], 5))
    await expectInstallRefused(/sequence 5 was already accepted with different content/)
  })

  it('refuses an expired catalog', async () => {
    const past = new Date(Date.now() - 60_000)
    await followThenServe(1, buildCatalog(registry, [hello], 2, { expiresAt: past }))
    await expectInstallRefused(/catalog: expired at/)
  })

  it('refuses an artifact whose bytes do not match its digest, keeping no file', async () => {
    const image = hello.artifacts[0]!
    registry.blobs.set(image.blake3, Buffer.alloc(image.size, 7))
    await followThenServe(1, buildCatalog(registry, [hello], 2))
    await expectInstallRefused(
      /artifact image\.tar: the bytes served hash to blake3 [0-9a-f]{64}, not the digest/,
      podmanProbes,
    )
    expect(readdirSync(path.join(dir, 'state', 'artifacts'))).toEqual([])
  })

  it('refuses an artifact longer than the release says', async () => {
    const image = hello.artifacts[0]!
    registry.blobs.set(image.blake3, Buffer.alloc(image.size + 10))
    await followThenServe(1, buildCatalog(registry, [hello], 2))
    await expectInstallRefused(/more than the \d+ bytes the release names/, podmanProbes)
    expect(readdirSync(path.join(dir, 'state', 'artifacts'))).toEqual([])
  })

  const badManifests: [string, Record<string, unknown>, RegExp][] = [
    ['a privileged container', manifestAsking({ privileged: true }), /app\.container\.privileged/],
    [
      'a host device',
      manifestAsking({ devices: ['/dev/sda:/dev/sda'] }),
      /app\.container\.devices/,
    ],
    [
      'a bind mount outside its data directory',
      manifestAsking({}, [{ type: 'bind', source: '/etc', target: '/host-etc' }]),
      /app\.volumes\[0\]\.source/,
    ],
    [
      'mount options smuggled in a target path',
      manifestAsking({}, [{ type: 'tmpfs', target: '/t:exec' }]),
      /app\.volumes\[0\]\.target: "\/t:exec" contains ":"/,
    ],
  ]
  for (const [label, manifest, message] of badManifests) {
    it(`refuses a properly signed release asking for ${label}`, async () => {
      const release = signRawRelease(publisher, [manifest])
      await followThenServe(1, buildCatalog(registry, [release], 2))
      await expectInstallRefused(message)
    })
  }
})

describe('archy agent add-registry and install (CLI)', () => {
  it('pins the first-seen DID, then exits 1 with one line for a tampered catalog', async () => {
    const place = ['--state', path.join(dir, 'state'), '--data-root', path.join(dir, 'apps')]
    const added = await runCli(['agent', 'add-registry', registry.url, ...place])
    expect(added.code).toBe(0)
    expect(added.out).toContain(`pinned ${registry.operator.did}`)
    expect(added.err).toMatch(/no --did was given/)

    registry.catalog = buildCatalog(registry, [hello], 2, { signer: generateEd25519() })
    const install = await runCli(['agent', 'install', 'hello-web', ...place])
    expect(install.code).toBe(1)
    expect(install.err.split('\n')).toHaveLength(1)
    expect(install.err).toMatch(/^archy: http:\/\/127\.0\.0\.1:\d+: refused: catalog: signed by/)
  })

  it('refuses add-registry when the catalog is not signed by the given --did', async () => {
    const place = ['--state', path.join(dir, 'state'), '--data-root', path.join(dir, 'apps')]
    const other = generateEd25519().did
    const run = await runCli(['agent', 'add-registry', registry.url, '--did', other, ...place])
    expect(run.code).toBe(1)
    expect(run.err).toMatch(/not by the pinned registry key/)
    const agent = await openTestAgent()
    expect(agent.store.listRegistries()).toEqual([])
    await agent.close()
  })
})
