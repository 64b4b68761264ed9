// Tests for the agent's rendered units: a copy_from_host hook copies the release's verified file,
// the same one podman mode copies (resolveHookSource), and a refused source keeps the old units.
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { openAgent, type Agent } from '../../node-agent/agent-context.js'
import { buildContainerSpec, type ContainerSpec } from '../../node-agent/container-spec.js'
import { createStubExec, type StubExec } from '../../node-agent/exec.js'
import { runPostInstallHooks } from '../../node-agent/hooks.js'
import { createPodman } from '../../node-agent/podman.js'
import { writeUnits } from '../../node-agent/units.js'
import { digestBytes } from '../../src/digest/blake3.js'
import type { AppManifest, HookStep } from '../../src/manifest/types.js'
import type { ReleaseDocument } from '../../src/release/release-document.js'
import { makeKeys, manifestDocument, signRelease } from '../support/release-fixtures.js'
import { buildTestManifest } from '../support/quadlet.js'

// Nothing listens there: the artifacts are on disk already, so no fetch is made.
const ORIGIN = 'http://127.0.0.1:1'
const PROVIDER = 'export const provider = 1\n'
const VERSION_CALL = { command: 'podman', args: ['version', '--format', '{{.Client.Version}}'] }

let dir: string
let opened: Agent | undefined
let release: ReleaseDocument
let providerFile: string

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'agent-units-'))

  // The provider script as a verified artifact, `<state>/artifacts/<blake3>`.
  const artifactsDir = path.join(dir, 'state', 'artifacts')
  const bytes = Buffer.from(PROVIDER)
  const { blake3, sha256 } = await digestBytes(bytes)
  await mkdir(artifactsDir, { recursive: true })
  await writeFile(path.join(artifactsDir, blake3), bytes)
  providerFile = path.join(await realpath(artifactsDir), blake3)
  const artifact = { name: 'web/provider.js', blake3, sha256, size: bytes.length }
  release = signRelease(
    makeKeys(),
    [manifestDocument('vault', '1.0.0')],
    [{ ...artifact, media_type: 'text/javascript' }],
  )
})

afterEach(async () => {
  await opened?.close()
  opened = undefined
  await rm(dir, { recursive: true, force: true })
})

/** Opens the agent with a stub that answers `podman version` exactly `versionCalls` times. */
async function open(versionCalls: number): Promise<{ agent: Agent; stub: StubExec }> {
  const stub = createStubExec([
    { ...VERSION_CALL, result: { stdout: '5.4.2\n' }, times: versionCalls },
  ])
  opened = await openAgent({
    state: path.join(dir, 'state'),
    dataRoot: path.join(dir, 'apps'),
    hostIp: '192.0.2.10',
    exec: stub,
  })
  return { agent: opened, stub }
}

function buildManifest(post: HookStep[]): AppManifest {
  return buildTestManifest('vault', {
    volumes: [
      { type: 'bind', source: '/var/lib/archipelago/vault/www', target: '/srv/www', options: [] },
    ],
    hooks: { post_install: post },
  })
}

function buildSpec(manifest: AppManifest): ContainerSpec {
  return buildContainerSpec(manifest, { dataRoot: path.join(dir, 'apps'), values: {} }).spec
}

const unitOf = (appId: string): Promise<string> =>
  readFile(path.join(dir, 'state', 'units', appId, `${appId}.container`), 'utf8')

describe('writeUnits with the release', () => {
  const steps: HookStep[] = [
    { exec: { command: ['sh', '-c', 'echo migrate'] } },
    { copy_from_host: { src: 'web/./provider.js', dest: '/srv/www/provider.js' } },
  ]

  it('copies the verified file podman mode copies, with no warning', async () => {
    const { agent, stub } = await open(1)
    const manifest = buildManifest(steps)
    const warnings = await writeUnits(agent, 'vault', [buildSpec(manifest)], {
      release,
      origin: ORIGIN,
    })
    expect(warnings).toEqual([])
    const unit = await unitOf('vault')
    expect(unit).toContain('\nExecStartPost=podman exec vault sh -c "echo migrate"\n')
    expect(unit).toContain(`\nExecStartPost=podman cp ${providerFile} vault:/srv/www/provider.js\n`)

    // podman mode, from the same manifest and release, copies the very same file.
    const hookExec = createStubExec([
      { command: 'podman', args: ['exec', 'vault', 'sh', '-c', 'echo migrate'] },
      { command: 'podman', args: ['cp', providerFile, 'vault:/srv/www/provider.js'] },
    ])
    await runPostInstallHooks(manifest, release, 'vault', {
      podman: createPodman({ exec: hookExec }),
      exec: hookExec,
      origin: ORIGIN,
      artifactsDir: agent.paths.artifactsDir,
      redact: [],
    })
    hookExec.assertAllUsed()
    stub.assertAllUsed()
  })

  it('leaves the manifest spec as it was', async () => {
    const { agent, stub } = await open(1)
    const spec = buildSpec(buildManifest(steps))
    await writeUnits(agent, 'vault', [spec], { release, origin: ORIGIN })
    expect(spec.postInstall[1]).toEqual(steps[1])
    stub.assertAllUsed()
  })

  it('refuses a source that leaves the release, naming it, and keeps the units there', async () => {
    // Only the first render asks for the version: the refusal comes before it.
    const { agent, stub } = await open(1)
    await writeUnits(agent, 'vault', [buildSpec(buildManifest(steps))], { release, origin: ORIGIN })
    const before = await unitOf('vault')

    const bad: HookStep = { copy_from_host: { src: '../agent.sqlite', dest: '/srv/www/x' } }
    const spec = buildSpec(buildManifest([bad]))
    await expect(writeUnits(agent, 'vault', [spec], { release, origin: ORIGIN })).rejects.toThrow(
      /^vault: app\.hooks\.post_install\[0\]\.copy_from_host\.src: "\.\.\/agent\.sqlite" leaves the release's files$/,
    )
    expect(await unitOf('vault')).toBe(before)
    stub.assertAllUsed()
  })
})

describe('writeUnits where the state directory is unusable', () => {
  it('names --state and the app', async () => {
    const { agent, stub } = await open(1)
    await writeFile(agent.paths.unitsDir, 'not a directory')
    const spec = buildSpec(buildManifest([]))
    await expect(writeUnits(agent, 'vault', [spec])).rejects.toThrow(
      /^--state: cannot write the units of vault: E\w+: /,
    )
    stub.assertAllUsed()
  })
})

describe('writeUnits without the release', () => {
  it('writes the source as the manifest has it and warns that it is relative', async () => {
    const { agent, stub } = await open(1)
    const post: HookStep[] = [
      { copy_from_host: { src: 'web/provider.js', dest: '/srv/www/provider.js' } },
    ]
    const warnings = await writeUnits(agent, 'vault', [buildSpec(buildManifest(post))])
    expect(warnings).toEqual([
      'vault: app.hooks.post_install[0].copy_from_host.src: web/provider.js is relative; ' +
        'the unit needs an absolute host path',
    ])
    expect(await unitOf('vault')).toContain(
      '\nExecStartPost=podman cp web/provider.js vault:/srv/www/provider.js\n',
    )
    stub.assertAllUsed()
  })
})
