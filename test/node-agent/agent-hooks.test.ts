// Tests for post_install hooks: the copy_from_host source resolved inside the release's verified
// files (symlinks followed, escapes refused) on a real file system, the hook steps run through a
// stubbed exec seam, and a `dest` that `podman cp` could not write refused while planning.
import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { openAgent } from '../../node-agent/agent-context.js'
import { addRegistry } from '../../node-agent/catalog-follower.js'
import { buildContainerSpec } from '../../node-agent/container-spec.js'
import { createStubExec, type ExecExpectation } from '../../node-agent/exec.js'
import { resolveHookSource, runPostInstallHooks } from '../../node-agent/hooks.js'
import { installApp } from '../../node-agent/install.js'
import { createPodman } from '../../node-agent/podman.js'
import { digestBytes } from '../../src/digest/blake3.js'
import { ExecError } from '../../src/errors.js'
import type { AppManifest, HookStep, Volume } from '../../src/manifest/types.js'
import type { ReleaseArtifact, ReleaseDocument } from '../../src/release/release-document.js'
import { makeKeys, manifestDocument, signRelease } from '../support/release-fixtures.js'
import { buildTestManifest } from '../support/quadlet.js'
import { buildCatalog, startTestRegistry } from './agent-test-registry.js'

// Nothing listens there: a fetch the test did not mean to make fails at once.
const ORIGIN = 'http://127.0.0.1:9'
const PROVIDER = 'export const provider = 1\n'

let dir: string
let artifactsDir: string
let release: ReleaseDocument
let providerFile: string

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'agent-hooks-'))
  artifactsDir = path.join(dir, 'artifacts')
  await mkdir(artifactsDir)
  const provider = await storeArtifact('web/provider.js', PROVIDER)
  providerFile = path.join(artifactsDir, provider.blake3)
  release = signRelease(makeKeys(), [manifestDocument('vault', '1.0.0')], [provider])
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Writes bytes as a verified artifact file, `<artifacts>/<blake3>`, and describes it. */
async function storeArtifact(name: string, content: string): Promise<ReleaseArtifact> {
  const bytes = Buffer.from(content)
  const { blake3, sha256 } = await digestBytes(bytes)
  await writeFile(path.join(artifactsDir, blake3), bytes)
  return { name, blake3, sha256, size: bytes.length, media_type: 'text/javascript' }
}

const resolve = (src: string): Promise<string> =>
  resolveHookSource(src, release, { origin: ORIGIN, artifactsDir }, 'vault: at.src')

describe('resolveHookSource', () => {
  it("returns the release's verified file for its name", async () => {
    await expect(resolve('web/provider.js')).resolves.toBe(providerFile)
    await expect(resolve('web/./lib/../provider.js')).resolves.toBe(providerFile)
  })

  it('follows a symlinked artifacts directory to the real file', async () => {
    const linked = path.join(dir, 'linked-artifacts')
    await symlink(artifactsDir, linked)
    const real = await resolveHookSource(
      'web/provider.js',
      release,
      {
        origin: ORIGIN,
        artifactsDir: linked,
      },
      'at',
    )
    expect(real).toBe(providerFile)
  })

  const refused: [string, string, RegExp][] = [
    [
      'an absolute path',
      '/etc/passwd',
      /^vault: at\.src: "\/etc\/passwd" leaves the release's files$/,
    ],
    ['a parent step', '../state/node-keys.json', /"\.\.\/state\/node-keys\.json" leaves/],
    ['a path that climbs out after normalizing', 'web/../../x', /"web\/\.\.\/\.\.\/x" leaves/],
    ['the release root itself', '.', /"\." leaves the release's files/],
    [
      'a name the release lacks',
      'web/other.js',
      /"web\/other\.js" is not among the release's files/,
    ],
  ]
  for (const [label, src, message] of refused) {
    it(`refuses ${label}`, async () => {
      await expect(resolve(src)).rejects.toThrow(message)
    })
  }

  it('refuses an artifact file replaced by a symlink out of the artifacts directory', async () => {
    const outside = path.join(dir, 'outside.js')
    await writeFile(outside, PROVIDER)
    await rm(providerFile)
    await symlink(outside, providerFile)
    await expect(resolve('web/provider.js')).rejects.toThrow(
      /^vault: at\.src: "web\/provider\.js" resolves to .*\/outside\.js, which leaves the release's files$/,
    )
  })

  it("refuses an artifact file linked to a file in the directory that is not this release's", async () => {
    const stray = path.join(artifactsDir, 'stray')
    await writeFile(stray, PROVIDER)
    await rm(providerFile)
    await symlink('stray', providerFile)
    await expect(resolve('web/provider.js')).rejects.toThrow(
      /resolves to .*\/artifacts\/stray, which leaves/,
    )
  })
})

describe('runPostInstallHooks', () => {
  const steps: HookStep[] = [
    { exec: { command: ['sh', '-c', 'echo migrate'] } },
    { copy_from_host: { src: 'web/provider.js', dest: '/srv/www/provider.js' } },
  ]
  const manifestWith = (post: HookStep[]): AppManifest =>
    buildTestManifest('vault', { hooks: { post_install: post } })

  async function run(post: HookStep[], expectations: ExecExpectation[], redact: string[] = []) {
    const stub = createStubExec(expectations)
    const options = {
      podman: createPodman({ exec: stub }),
      exec: stub,
      origin: ORIGIN,
      artifactsDir,
      redact,
    }
    const outcome = runPostInstallHooks(manifestWith(post), release, 'vault', options)
    return { stub, outcome }
  }

  it('runs exec then copy_from_host in order, copying the verified file', async () => {
    const { stub, outcome } = await run(steps, [
      { command: 'podman', args: ['exec', 'vault', 'sh', '-c', 'echo migrate'] },
      { command: 'podman', args: ['cp', providerFile, 'vault:/srv/www/provider.js'] },
    ])
    await outcome
    stub.assertAllUsed()
    expect(stub.calls.map((call) => call.args[0])).toEqual(['exec', 'cp'])
  })

  it('stops at a failing exec step and shows its last line without secrets', async () => {
    const { stub, outcome } = await run(
      steps,
      [
        {
          command: 'podman',
          args: ['exec', 'vault', 'sh', '-c', 'echo migrate'],
          result: { exitCode: 3, stderr: 'starting\nbad token s3cr3t-value\n' },
        },
      ],
      ['s3cr3t-value'],
    )
    await expect(outcome).rejects.toThrow(
      /^vault: app\.hooks\.post_install\[0\]\.exec: exited with 3: bad token \*\*\*$/,
    )
    expect(stub.calls).toHaveLength(1)
  })

  it('names the copy step when podman cp fails', async () => {
    const { outcome } = await run(
      [steps[1]!],
      [
        {
          command: 'podman',
          args: ['cp', providerFile, 'vault:/srv/www/provider.js'],
          result: {
            exitCode: 125,
            stderr: 'Error: open /srv/www/provider.js: read-only file system',
          },
        },
      ],
    )
    await expect(outcome).rejects.toThrow(
      /^vault: app\.hooks\.post_install\[0\]\.copy_from_host: podman cp .*: exited with 125: .*read-only file system$/,
    )
  })

  it('names the exec step when podman exec times out, without its output', async () => {
    const timeout = new ExecError(
      'exec-timeout',
      'podman',
      'podman exec vault sh -c echo migrate: timed out after 60000 ms: token s3cr3t-value',
    )
    const { outcome } = await run(
      [steps[0]!],
      [{ command: 'podman', args: ['exec', 'vault', 'sh', '-c', 'echo migrate'], error: timeout }],
      ['s3cr3t-value'],
    )
    await expect(outcome).rejects.toThrow(
      /^vault: app\.hooks\.post_install\[0\]\.exec: podman timed out after 60000 ms$/,
    )
  })

  it('names the source when its artifact cannot be fetched', async () => {
    await rm(providerFile)
    const { stub, outcome } = await run([steps[1]!], [])
    await expect(outcome).rejects.toThrow(
      /^vault: app\.hooks\.post_install\[0\]\.copy_from_host\.src: artifact web\/provider\.js: /,
    )
    expect(stub.calls).toEqual([])
  })

  it('refuses a source that leaves the release before calling podman', async () => {
    const bad: HookStep = { copy_from_host: { src: '../agent.sqlite', dest: '/srv/x' } }
    const { stub, outcome } = await run([bad], [])
    await expect(outcome).rejects.toThrow(
      /post_install\[0\]\.copy_from_host\.src: "\.\.\/agent\.sqlite" leaves/,
    )
    expect(stub.calls).toEqual([])
  })
})

describe('buildContainerSpec: where a copy_from_host hook may write', () => {
  const mounts: Volume[] = [
    { type: 'bind', source: '/var/lib/archipelago/vault/www', target: '/srv/www', options: [] },
    {
      type: 'bind',
      source: '/var/lib/archipelago/vault/conf',
      target: '/etc/vault',
      options: ['ro'],
    },
    { type: 'tmpfs', target: '/etc/vault/run', options: [] },
    { type: 'volume', source: 'vault-cache', target: '/cache', options: [] },
  ]
  const build =
    (dest: string, readonlyRoot = true) =>
    () =>
      buildContainerSpec(
        buildTestManifest('vault', {
          volumes: mounts,
          security: {
            capabilities: [],
            readonly_root: readonlyRoot,
            no_new_privileges: true,
            network_policy: 'isolated',
          },
          hooks: { post_install: [{ copy_from_host: { src: 'p.js', dest } }] },
        }),
        { dataRoot: '/srv/archy', values: {} },
      )
  const at = 'vault: app.hooks.post_install[0].copy_from_host.dest: '

  const cases: [string, string, boolean, string | undefined][] = [
    ['a writable bind mount', '/srv/www/provider.js', true, undefined],
    ['a named volume', '/cache/seed.db', true, undefined],
    ['a tmpfs inside a read-only mount', '/etc/vault/run/pid', true, undefined],
    ['the root when it is writable', '/opt/app/provider.js', false, undefined],
    [
      'the read-only root',
      '/opt/app/provider.js',
      true,
      `${at}/opt/app/provider.js is on the container's read-only root file system ` +
        '(security.readonly_root); podman cp cannot write there: put it on a writable volume, ' +
        'bind mount or tmpfs',
    ],
    [
      'a read-only bind mount',
      '/etc/vault/app.ini',
      false,
      `${at}/etc/vault/app.ini is on the read-only mount /etc/vault; podman cp cannot write there`,
    ],
    [
      'a mount point itself',
      '/srv/www',
      true,
      `${at}/srv/www is a mount point; name the file to write in it`,
    ],
  ]
  for (const [label, dest, readonlyRoot, message] of cases) {
    it(`${message ? 'refuses' : 'accepts'} a dest on ${label}`, () => {
      if (message) expect(build(dest, readonlyRoot)).toThrow(message)
      else expect(build(dest, readonlyRoot)).not.toThrow()
    })
  }
})

describe('installApp with a copy_from_host dest on the read-only root', () => {
  it('is refused while planning, naming the dest, with nothing recorded or created', async () => {
    const registry = await startTestRegistry()
    const host = { cgroupVersion: 'v2', cgroupControllers: ['cpu', 'memory', 'pids'] }
    const stub = createStubExec([
      {
        command: 'podman',
        args: ['version', '--format', '{{.Client.Version}}'],
        result: { stdout: '4.3.1\n' },
      },
      {
        command: 'podman',
        args: ['info', '--format', 'json'],
        result: { stdout: JSON.stringify({ host: { ...host, security: { rootless: true } } }) },
      },
    ])
    const agent = await openAgent({
      state: path.join(dir, 'state'),
      dataRoot: path.join(dir, 'apps'),
      hostIp: '192.0.2.10',
      exec: stub,
    })
    try {
      const hooks = {
        post_install: [{ copy_from_host: { src: 'web/provider.js', dest: '/opt/provider.js' } }],
      }
      const document = {
        app: {
          id: 'vault',
          name: 'vault',
          version: '1.0.0',
          container: { image: 'registry.example/vault:1.0.0' },
          hooks,
        },
      }
      const provider = release.artifacts[0]!
      registry.blobs.set(provider.blake3, Buffer.from(PROVIDER))
      registry.catalog = buildCatalog(
        registry,
        [signRelease(makeKeys(), [document], [provider])],
        1,
      )
      await addRegistry(agent.store, registry.url, registry.operator.did)

      await expect(installApp(agent, 'vault', { mode: 'auto' })).rejects.toThrow(
        /^vault: app\.hooks\.post_install\[0\]\.copy_from_host\.dest: \/opt\/provider\.js is on the container's read-only root file system/,
      )
      expect(agent.store.listInstalls()).toEqual([])
      expect(stub.calls.map((call) => call.args[0])).toEqual(['version', 'info'])
    } finally {
      await agent.close()
      await registry.close()
    }
    await expect(stat(path.join(dir, 'apps'))).rejects.toThrow(/ENOENT/)
  })
})
