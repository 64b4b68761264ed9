// ensureImage through the stub exec seam: the three pull policies with the image present and
// absent, archives reused only while their tag names the pinned ID, and the tag-hijack cases.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { createStubExec, type ExecExpectation } from '../../node-agent/exec.js'
import { readImagePin, writeImagePin } from '../../node-agent/image-pins.js'
import { ensureImage } from '../../node-agent/images.js'
import { createPodman } from '../../node-agent/podman.js'
import { digestBytes } from '../../src/digest/blake3.js'
import { ArchyError, VerificationError } from '../../src/errors.js'
import { requireValidManifests } from '../../src/manifest/validate.js'
import type { AppManifest } from '../../src/manifest/types.js'
import type { ReleaseArtifact, ReleaseDocument } from '../../src/release/release-document.js'

type Policy = 'if-not-present' | 'always' | 'never'

const ID_A = 'a'.repeat(64)
const ID_B = 'b'.repeat(64)
const ID_C = 'c'.repeat(64)
const REMOTE = 'registry.example/hello:2.0.0'
const TARGET = 'localhost/archy/hello-web:1.0.0'

let dir: string
let artifact: ReleaseArtifact
let archive: string

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'agent-images-'))
  const bytes = Buffer.from('not really an image archive, but verified bytes all the same')
  const digests = await digestBytes(bytes)
  artifact = {
    name: 'image.tar',
    blake3: digests.blake3,
    sha256: digests.sha256,
    size: bytes.length,
    media_type: 'application/x-tar',
  }
  await mkdir(path.join(dir, 'artifacts'))
  archive = path.join(dir, 'artifacts', artifact.blake3)
  await writeFile(archive, bytes)
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

function manifestWith(image: string, policy: Policy): AppManifest {
  const document = { app: { id: 'hello-web', name: 'Hello', version: '1.0.0' } }
  const container = { image, pull_policy: policy }
  return requireValidManifests([{ app: { ...document.app, container } }])[0]!
}

const release = (): ReleaseDocument => ({ artifacts: [artifact] }) as unknown as ReleaseDocument

/** `podman image inspect` answering an ID, or "image not known". */
function inspect(ref: string, id?: string): ExecExpectation {
  return {
    command: 'podman',
    args: ['image', 'inspect', '--format', '{{.Id}}', ref],
    result: id
      ? { stdout: `${id}\n` }
      : { exitCode: 125, stderr: `Error: ${ref}: image not known` },
  }
}

const pull = (ref: string): ExecExpectation => ({ command: 'podman', args: ['pull', ref] })
const tag = (id: string, target: string): ExecExpectation => ({
  command: 'podman',
  args: ['tag', id, target],
})
const untag = (name: string): ExecExpectation => ({
  command: 'podman',
  args: ['untag', name, name],
})
const load = (names: string[]): ExecExpectation => ({
  command: 'podman',
  args: ['load', '--input', archive],
  result: { stdout: `Loaded image(s): ${names.join(', ')}\n` },
})

async function runEnsure(
  manifest: AppManifest,
  target: string,
  expectations: ExecExpectation[],
  reload = false,
): Promise<{ id: string; commands: string[] }> {
  const exec = createStubExec(expectations)
  const options = { exec, origin: 'http://127.0.0.1:1', artifactsDir: path.join(dir, 'artifacts') }
  const id = await ensureImage(manifest, release(), target, {
    ...options,
    podman: createPodman({ exec }),
    reload,
  })
  exec.assertAllUsed()
  return { id, commands: exec.calls.map((call) => call.args[0]!) }
}

describe('ensureImage with a registry reference', () => {
  const cases: [Policy, boolean, ExecExpectation[], string][] = [
    ['never', true, [inspect(REMOTE, ID_A)], ID_A],
    ['if-not-present', true, [inspect(REMOTE, ID_A)], ID_A],
    ['if-not-present', false, [inspect(REMOTE), pull(REMOTE), inspect(REMOTE, ID_A)], ID_A],
    ['always', true, [inspect(REMOTE, ID_A), pull(REMOTE), inspect(REMOTE, ID_B)], ID_B],
    ['always', false, [inspect(REMOTE), pull(REMOTE), inspect(REMOTE, ID_A)], ID_A],
  ]
  it.each(cases)('with %s and present=%s makes exactly the expected calls', async (...row) => {
    const [policy, , expectations, id] = row
    const result = await runEnsure(manifestWith(REMOTE, policy), REMOTE, expectations)
    expect(result.id).toBe(id)
  })

  it('refuses an absent image under pull_policy never without pulling', async () => {
    const exec = createStubExec([inspect(REMOTE)])
    const promise = ensureImage(manifestWith(REMOTE, 'never'), release(), REMOTE, {
      exec,
      podman: createPodman({ exec }),
      origin: 'http://127.0.0.1:1',
      artifactsDir: path.join(dir, 'artifacts'),
      reload: false,
    })
    await expect(promise).rejects.toThrow(
      `hello-web: app.container.image: ${REMOTE} is not on this node and pull_policy is never`,
    )
    await expect(promise).rejects.toBeInstanceOf(ArchyError)
    exec.assertAllUsed()
  })
})

describe('ensureImage with a blake3 archive', () => {
  const image = (): string => `blake3:${artifact.blake3}`
  const loadCalls = (names = [TARGET]): ExecExpectation[] => [
    load(names),
    inspect(names[0]!, ID_A),
    ...names.filter((name) => name !== TARGET).map(untag),
    tag(ID_A, TARGET),
    inspect(TARGET, ID_A),
  ]
  const artifactsDir = (): string => path.join(dir, 'artifacts')

  it('reuses the tag while it names the pinned ID, for if-not-present and never', async () => {
    for (const policy of ['if-not-present', 'never'] as const) {
      await writeImagePin(artifactsDir(), artifact.blake3, ID_A)
      const result = await runEnsure(manifestWith(image(), policy), TARGET, [inspect(TARGET, ID_A)])
      expect(result).toEqual({ id: ID_A, commands: ['image'] })
    }
  })

  const loads: [string, Policy, string | undefined, string | undefined, boolean][] = [
    ['the tag is absent (if-not-present)', 'if-not-present', ID_A, undefined, false],
    [
      'the tag is absent (never: local verified bytes are no pull)',
      'never',
      ID_A,
      undefined,
      false,
    ],
    ['the policy is always, even with the pinned tag present', 'always', ID_A, ID_A, false],
    ['no ID is pinned, whatever the tag names', 'if-not-present', undefined, ID_A, false],
    ['an install asks for a reload', 'if-not-present', ID_A, ID_A, true],
  ]
  it.each(loads)('loads the verified archive when %s', async (_label, policy, pin, now, reload) => {
    if (pin) await writeImagePin(artifactsDir(), artifact.blake3, pin)
    const probe = pin && policy !== 'always' && !reload ? [inspect(TARGET, now)] : []
    const result = await runEnsure(
      manifestWith(image(), policy),
      TARGET,
      [...probe, ...loadCalls()],
      reload,
    )
    expect(result.id).toBe(ID_A)
    expect(result.commands).toContain('load')
    expect(await readImagePin(artifactsDir(), artifact.blake3)).toBe(ID_A)
  })

  it('reloads when another archive moved the tag, and drops the names its own archive carried', async () => {
    await writeImagePin(artifactsDir(), artifact.blake3, ID_A)
    const result = await runEnsure(manifestWith(image(), 'if-not-present'), TARGET, [
      inspect(TARGET, ID_B),
      ...loadCalls(['docker.io/library/postgres:16', 'quay.io/other/app:2']),
    ])
    expect(result.id).toBe(ID_A)
    expect(result.commands.filter((command) => command === 'untag')).toHaveLength(2)
  })

  it('leaves a local name the archive carried (no registry or app could mean it)', async () => {
    const result = await runEnsure(manifestWith(image(), 'if-not-present'), TARGET, [
      load(['localhost/archy-busybox:1']),
      inspect('localhost/archy-busybox:1', ID_A),
      tag(ID_A, TARGET),
      inspect(TARGET, ID_A),
    ])
    expect(result.commands).not.toContain('untag')
  })

  it("untags another app's name that a hostile archive carries, keeping only its own tag", async () => {
    const result = await runEnsure(manifestWith(image(), 'if-not-present'), TARGET, [
      ...loadCalls([TARGET, 'localhost/archy/notes-api:1.0.0']),
    ])
    expect(result.id).toBe(ID_A)
  })

  it('keeps an untagged archive (load reports an ID) and tags it', async () => {
    const result = await runEnsure(manifestWith(image(), 'if-not-present'), TARGET, [
      load([`sha256:${ID_A}`]),
      inspect(`sha256:${ID_A}`, ID_A),
      tag(ID_A, TARGET),
      inspect(TARGET, ID_A),
    ])
    expect(result.commands).not.toContain('untag')
  })

  it('fails, pinning nothing, when the tag names another image right after tagging', async () => {
    const exec = createStubExec([
      load(['docker.io/library/hello:1']),
      inspect('docker.io/library/hello:1', ID_A),
      untag('docker.io/library/hello:1'),
      tag(ID_A, TARGET),
      inspect(TARGET, ID_C),
    ])
    const promise = ensureImage(manifestWith(image(), 'if-not-present'), release(), TARGET, {
      exec,
      podman: createPodman({ exec }),
      origin: 'http://127.0.0.1:1',
      artifactsDir: artifactsDir(),
      reload: false,
    })
    await expect(promise).rejects.toBeInstanceOf(VerificationError)
    await expect(promise).rejects.toThrow(`${TARGET}: names image ${ID_C} right after tagging`)
    expect(await readImagePin(artifactsDir(), artifact.blake3)).toBeUndefined()
    exec.assertAllUsed()
  })
})
