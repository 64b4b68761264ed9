// Secrets on real rootless Podman: a lost 0600 file comes back from the Podman secret, and a lost
// Podman secret comes back from the file (DESIGN.md §2), the value never in an argv.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createStubExec, type Exec } from '../../node-agent/exec.js'
import { createPodman, type Podman } from '../../node-agent/podman.js'
import { ensurePodmanSecret, ensureSecretFile } from '../../node-agent/secret-files.js'
import type { GeneratedSecret } from '../../src/manifest/types.js'
import { describePodman, podmanAsTestUser } from '../support/podman-user.js'

const secret: GeneratedSecret = { name: 'token', length: 24, charset: 'alphanumeric' }
const owner = `upd-sec-${process.pid}`
const podmanName = `archy.${owner}.token`

describePodman('secrets mirrored between files and Podman', () => {
  let dir: string
  let podman: Podman
  const argvs: string[][] = []

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'upd-secrets-'))
    const asUser = podmanAsTestUser()
    const recording: Exec = (command, args, options) => {
      argvs.push([command, ...args])
      return asUser(command, args, options)
    }
    podman = createPodman({ exec: recording })
    await podman.removeSecret(podmanName)
  })
  afterAll(async () => {
    await podman.removeSecret(podmanName)
    await rm(dir, { recursive: true, force: true })
  })

  it('recreates a missing file from the Podman secret, keeping its value', async () => {
    const value = `kept-${Date.now()}-abcdef`
    await podman.createSecret(podmanName, value)
    const file = await ensureSecretFile(dir, owner, secret, podman)
    expect(file).toEqual({ value, created: false, recovered: true })
    await ensurePodmanSecret(podman, owner, secret, file)
    const written = path.join(dir, owner, 'token')
    expect(await readFile(written, 'utf8')).toBe(value)
    expect((await stat(written)).mode & 0o777).toBe(0o600)
    expect(await podman.readSecret(podmanName)).toBe(value)
    expect(argvs.some((argv) => argv.some((arg) => arg.includes(value)))).toBe(false)
  })

  it('recreates a missing Podman secret from the file', async () => {
    const value = `file-${Date.now()}-123456`
    await podman.removeSecret(podmanName)
    await mkdir(path.join(dir, owner), { recursive: true })
    await writeFile(path.join(dir, owner, 'token'), value, { mode: 0o600 })
    expect(await podman.readSecret(podmanName)).toBeUndefined()
    const file = await ensureSecretFile(dir, owner, secret, podman)
    expect(file).toEqual({ value, created: false })
    await ensurePodmanSecret(podman, owner, secret, file)
    expect(await podman.readSecret(podmanName)).toBe(value)
    expect(argvs.some((argv) => argv.some((arg) => arg.includes(value)))).toBe(false)
  })

  it('generates a value when neither exists, and Podman then holds it', async () => {
    await podman.removeSecret(podmanName)
    await rm(path.join(dir, owner), { recursive: true, force: true })
    const file = await ensureSecretFile(dir, owner, secret, podman)
    expect(file.created).toBe(true)
    expect(file.value).toMatch(/^[A-Za-z0-9]{24}$/)
    await ensurePodmanSecret(podman, owner, secret, file)
    expect(await podman.readSecret(podmanName)).toBe(file.value)
  })
})

describe('readSecret', () => {
  const inspect = (driver: string, storePath: string): string =>
    JSON.stringify([
      { ID: 'abc123', Spec: { Name: 's', Driver: { Name: driver, Options: { path: storePath } } } },
    ])

  it('refuses a driver other than file without showing any value', async () => {
    const exec = createStubExec([
      {
        command: 'podman',
        args: ['secret', 'inspect', 's'],
        result: { stdout: inspect('pass', '/x') },
      },
    ])
    await expect(createPodman({ exec }).readSecret('s')).rejects.toThrow(
      /not kept by the file driver/,
    )
  })

  it('names the store when it holds no value for the secret', async () => {
    const store = await mkdtemp(path.join(tmpdir(), 'upd-store-'))
    await writeFile(path.join(store, 'secretsdata.json'), JSON.stringify({ other: 'eA==' }))
    const exec = createStubExec([
      {
        command: 'podman',
        args: ['secret', 'inspect', 's'],
        result: { stdout: inspect('file', store) },
      },
    ])
    await expect(createPodman({ exec }).readSecret('s')).rejects.toThrow(
      /holds no value for secret s/,
    )
    await rm(store, { recursive: true, force: true })
  })

  it('answers undefined for a secret Podman does not have', async () => {
    const exec = createStubExec([
      {
        command: 'podman',
        args: ['secret', 'inspect', 's'],
        result: { exitCode: 125, stderr: 'Error: no such secret' },
      },
    ])
    expect(await createPodman({ exec }).readSecret('s')).toBeUndefined()
  })
})
