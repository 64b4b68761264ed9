// Tests for the check before `podman run`: bind sources resolved with symlinks followed must stay in
// their owner's real data directory (own read-write, a dependency's read-only), on a real file
// system; and the reconciler makes no Podman call at all when one does not.
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { openAgent } from '../../node-agent/agent-context.js'
import type { InstallRecord } from '../../node-agent/agent-store.js'
import { checkBindSources } from '../../node-agent/bind-sources.js'
import { buildContainerSpec, type ContainerSpec } from '../../node-agent/container-spec.js'
import { createStubExec } from '../../node-agent/exec.js'
import { reconcileInstalledApp } from '../../node-agent/reconciler.js'
import type { Volume } from '../../src/manifest/types.js'
import { makeKeys, manifestDocument, signRelease } from '../support/release-fixtures.js'
import { buildTestManifest } from '../support/quadlet.js'

let dir: string
let dataRoot: string
let outside: string

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'agent-bind-sources-'))
  dataRoot = path.join(dir, 'apps')
  outside = path.join(dir, 'outside')
  await mkdir(path.join(dataRoot, 'vault', 'data'), { recursive: true })
  await mkdir(path.join(dataRoot, 'vault-db', 'creds'), { recursive: true })
  await mkdir(outside)
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const bind = (source: string, target: string, options: string[] = []): Volume => ({
  type: 'bind',
  source: `/var/lib/archipelago/${source}`,
  target,
  options,
})

function buildSpec(volumes: Volume[]): ContainerSpec {
  const manifest = buildTestManifest('vault', {
    dependencies: [{ app_id: 'vault-db' }],
    volumes,
  })
  return buildContainerSpec(manifest, { dataRoot, values: {} }).spec
}

async function check(spec: ContainerSpec): Promise<void> {
  const stub = createStubExec([])
  await checkBindSources(spec, { dataRoot, exec: stub })
  expect(stub.calls).toEqual([])
}

describe('checkBindSources', () => {
  it("accepts the app's own directory and, read-only, a dependency's", async () => {
    await symlink('data', path.join(dataRoot, 'vault', 'current'))
    const spec = buildSpec([
      bind('vault/data', '/data'),
      bind('vault/current', '/current'),
      bind('vault-db/creds', '/creds', ['ro']),
      { type: 'tmpfs', target: '/tmp', options: [] },
    ])
    await expect(check(spec)).resolves.toBeUndefined()
  })

  const refused: [string, () => Promise<Volume[]>, RegExp][] = [
    [
      'an own source symlinked out of the data root',
      async () => {
        await symlink(outside, path.join(dataRoot, 'vault', 'www'))
        return [bind('vault/data', '/data'), bind('vault/www', '/www')]
      },
      /^vault: app\.volumes\[1\]\.source: .*\/vault\/www resolves to .*\/outside, outside .*\/apps\/vault; refusing to mount it$/,
    ],
    [
      "an own source symlinked into another app's directory",
      async () => {
        await symlink('../vault-db/creds', path.join(dataRoot, 'vault', 'creds'))
        return [bind('vault/creds', '/creds')]
      },
      /^vault: app\.volumes\[0\]\.source: .* resolves to .*\/vault-db\/creds, outside/,
    ],
    [
      "a dependency's source symlinked out by that dependency",
      async () => {
        await symlink('/etc', path.join(dataRoot, 'vault-db', 'etc'))
        return [bind('vault-db/etc', '/etc-of-db', ['ro'])]
      },
      /^vault: app\.volumes\[0\]\.source: .*\/vault-db\/etc resolves to \/etc, outside/,
    ],
    [
      'a source that does not exist',
      async () => [bind('vault-db/missing', '/m', ['ro'])],
      /^vault: app\.volumes\[0\]\.source: .*\/vault-db\/missing does not exist$/,
    ],
    [
      'a symlink loop',
      async () => {
        await symlink('loop', path.join(dataRoot, 'vault', 'loop'))
        return [bind('vault/loop', '/loop')]
      },
      /app\.volumes\[0\]\.source: .*\/vault\/loop is a symlink loop$/,
    ],
  ]
  for (const [label, arrange, message] of refused) {
    it(`refuses ${label}`, async () => {
      const spec = buildSpec(await arrange())
      await expect(check(spec)).rejects.toThrow(message)
    })
  }

  it("refuses a dependency's directory mounted read-write, even if the spec says so", async () => {
    const spec = buildSpec([bind('vault-db/creds', '/creds', ['ro'])])
    const mount = spec.mounts[0]
    if (mount?.type !== 'bind') throw new Error('expected a bind mount')
    spec.mounts[0] = { ...mount, readonly: false }
    await expect(check(spec)).rejects.toThrow(
      /app\.volumes\[0\]\.source: .* is not this app's data directory nor, read-only, a dependency's/,
    )
  })
})

describe('reconcileInstalledApp with a bind source symlinked out', () => {
  it('creates nothing: no image, network, secret or container', async () => {
    const stub = createStubExec([])
    const agent = await openAgent({
      state: path.join(dir, 'state'),
      dataRoot,
      hostIp: '192.0.2.10',
      exec: stub,
    })
    try {
      await mkdir(path.join(dataRoot, 'vault-db', 'secrets'))
      await symlink(outside, path.join(dataRoot, 'vault-db', 'secrets', 'keys'))
      // The release is only read by hooks; the plan is what the reconciler acts on.
      const release = signRelease(makeKeys(), [manifestDocument('vault', '1.0.0')])
      const manifest = buildTestManifest('vault', {
        dependencies: [{ app_id: 'vault-db' }],
        volumes: [bind('vault-db/secrets/keys', '/k', ['ro'])],
      })
      const { spec } = buildContainerSpec(manifest, agent.context)
      const members = [{ manifest, spec, configHash: 'c'.repeat(64), warnings: [], secrets: [] }]
      const install: InstallRecord = {
        appId: 'vault',
        registryUrl: 'http://127.0.0.1:9',
        publisherDid: release.author.did,
        version: '1.0.0',
        release,
        desired: 'running',
        mode: 'podman',
        warnings: [],
        lastError: null,
        installedAt: '2026-01-01T00:00:00Z',
        updatedAt: '2026-01-01T00:00:00Z',
      }
      const app = { install, release, members, records: [] }
      await expect(reconcileInstalledApp(agent, app, [])).rejects.toThrow(
        /^vault: app\.volumes\[0\]\.source: .*\/vault-db\/secrets\/keys resolves to .*\/outside/,
      )
      expect(stub.calls).toEqual([])

      // The same failure on a recreate leaves the running container alone.
      const running = {
        id: 'f'.repeat(64),
        name: 'vault',
        state: 'running',
        image: 'localhost/archy/vault:1.0.0',
        labels: { 'archy.app': 'vault', 'archy.config-hash': 'd'.repeat(64) },
        createdAt: '2026-01-01T00:00:00Z',
      }
      await expect(reconcileInstalledApp(agent, app, [running])).rejects.toThrow(
        /app\.volumes\[0\]\.source/,
      )
      expect(stub.calls).toEqual([])
    } finally {
      await agent.close()
    }
  })
})
