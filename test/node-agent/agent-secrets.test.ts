// Generated secrets: made once as 0600 files, mirrored as Podman secrets through the exec seam,
// reused when present, and never in an argv or an error message.
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { createStubExec } from '../../node-agent/exec.js'
import { createPodman } from '../../node-agent/podman.js'
import {
  ensurePodmanSecret,
  ensureSecretFile,
  generateSecretValue,
  removeSecrets,
} from '../../node-agent/secret-files.js'
import type { GeneratedSecret } from '../../src/manifest/types.js'

const token: GeneratedSecret = { name: 'notes-token', length: 32, charset: 'alphanumeric' }
const secretName = 'archy.notes-api.notes-token'
let dir: string

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'agent-secrets-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('generateSecretValue', () => {
  const charsets: [GeneratedSecret['charset'], RegExp][] = [
    ['alphanumeric', /^[A-Za-z0-9]{48}$/],
    ['hex', /^[0-9a-f]{48}$/],
    ['base64url', /^[A-Za-z0-9_-]{48}$/],
  ]
  for (const [charset, pattern] of charsets) {
    it(`makes ${charset} values of the declared length`, () => {
      expect(generateSecretValue(48, charset)).toMatch(pattern)
      expect(generateSecretValue(48, charset)).not.toBe(generateSecretValue(48, charset))
    })
  }
})

describe('ensureSecretFile', () => {
  it('creates a 0600 file once and reuses it', async () => {
    const first = await ensureSecretFile(dir, 'notes-api', token)
    const file = path.join(dir, 'notes-api', 'notes-token')
    expect(first.created).toBe(true)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700)
    const second = await ensureSecretFile(dir, 'notes-api', token)
    expect(second).toEqual({ value: first.value, created: false })
    expect(await readFile(file, 'utf8')).toBe(first.value)
  })

  it('refuses names that would leave the secrets directory', async () => {
    await expect(ensureSecretFile(dir, 'notes-api', { ...token, name: '../x' })).rejects.toThrow(
      /cannot name a Podman secret/,
    )
    await expect(ensureSecretFile(dir, '../up', token)).rejects.toThrow(/not a valid app id/)
  })
})

describe('ensurePodmanSecret', () => {
  it('creates a missing Podman secret with the value only in the environment', async () => {
    await mkdir(path.join(dir, 'notes-api'), { recursive: true })
    await writeFile(path.join(dir, 'notes-api', 'notes-token'), 'kept-value-123')
    const exec = createStubExec([
      {
        command: 'podman',
        args: ['secret', 'inspect', secretName],
        result: { exitCode: 125, stderr: 'Error: no such secret' },
      },
      { command: 'podman', args: (args) => args[0] === 'secret' && args[1] === 'create' },
    ])
    const file = await ensureSecretFile(dir, 'notes-api', token)
    expect(file).toEqual({ value: 'kept-value-123', created: false })
    await ensurePodmanSecret(createPodman({ exec }), 'notes-api', token, file)
    exec.assertAllUsed()
    const create = exec.calls[1]!
    expect(create.args.join(' ')).not.toContain('kept-value-123')
    expect(Object.values(create.options.env ?? {})).toContain('kept-value-123')
  })

  it('replaces a leftover Podman secret when the file is new', async () => {
    const exec = createStubExec([
      { command: 'podman', args: ['secret', 'rm', secretName] },
      { command: 'podman', args: (args) => args[1] === 'create' },
    ])
    const file = await ensureSecretFile(dir, 'notes-api', token)
    await ensurePodmanSecret(createPodman({ exec }), 'notes-api', token, file)
    exec.assertAllUsed()
    for (const call of exec.calls) expect(call.args.join(' ')).not.toContain(file.value)
  })

  it('keeps the value out of the error when podman fails', async () => {
    const file = await ensureSecretFile(dir, 'notes-api', token)
    const exec = createStubExec([
      { command: 'podman', args: ['secret', 'rm', secretName] },
      {
        command: 'podman',
        args: (args) => args[1] === 'create',
        result: { exitCode: 125, stderr: `Error: cannot store ${file.value}` },
      },
    ])
    const failure = await ensurePodmanSecret(
      createPodman({ exec }),
      'notes-api',
      token,
      file,
    ).catch((error: Error) => error)
    expect(failure).toBeInstanceOf(Error)
    expect((failure as Error).message).toMatch(/exited with 125/)
    expect((failure as Error).message).not.toContain(file.value)
    expect(JSON.stringify(failure)).not.toContain(file.value)
  })

  it('does nothing when the file and the Podman secret both exist', async () => {
    await ensureSecretFile(dir, 'notes-api', token)
    const exec = createStubExec([{ command: 'podman', args: ['secret', 'inspect', secretName] }])
    const file = await ensureSecretFile(dir, 'notes-api', token)
    await ensurePodmanSecret(createPodman({ exec }), 'notes-api', token, file)
    exec.assertAllUsed()
  })
})

describe('removeSecrets', () => {
  it('removes the Podman secrets and the owner directory', async () => {
    await ensureSecretFile(dir, 'notes-api', token)
    const exec = createStubExec([{ command: 'podman', args: ['secret', 'rm', secretName] }])
    await removeSecrets(createPodman({ exec }), dir, 'notes-api', [token])
    exec.assertAllUsed()
    await expect(stat(path.join(dir, 'notes-api'))).rejects.toThrow(/ENOENT/)
  })
})
