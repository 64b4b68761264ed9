// Generated secrets (DESIGN.md §2, §4): made once per node as 0600 files under
// `<state>/secrets/<owner app>/<name>`, mirrored as Podman secrets (each recreated from the other
// when one is missing), reused on every reinstall and removed only by purge. A value never
// appears in argv, a log line or an error.
import { randomInt } from 'node:crypto'
import { mkdir, open, readFile, rm } from 'node:fs/promises'
import path from 'node:path'

import { ArchyError } from '../src/errors.js'
import type { Charset, GeneratedSecret } from '../src/manifest/types.js'
import { podmanSecretName } from './container-spec.js'
import type { Podman } from './podman.js'

const ALPHABETS: Record<Charset, string> = {
  alphanumeric: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  hex: '0123456789abcdef',
  base64url: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
}

/** A crypto-random value of the declared length over the declared charset (unbiased). */
export function generateSecretValue(length: number, charset: Charset): string {
  const alphabet = ALPHABETS[charset]
  let value = ''
  for (let i = 0; i < length; i++) value += alphabet[randomInt(alphabet.length)]
  return value
}

/** The file holding one app's secret. */
export function secretFilePath(secretsDir: string, ownerAppId: string, name: string): string {
  // podmanSecretName checks both parts, so neither can climb out of the secrets directory.
  podmanSecretName(ownerAppId, name)
  return path.join(secretsDir, ownerAppId, name)
}

export interface SecretFile {
  value: string
  /** The file was just made with a new value. */
  created: boolean
  /** The file was missing and was recreated from the Podman secret. */
  recovered?: boolean
}

/**
 * Reads the secret's file. When it is absent, the value comes back from the Podman secret of
 * that name if `podman` is given and one exists, else a new one is generated; either way it is
 * written as a 0600 file in a 0700 directory.
 */
export async function ensureSecretFile(
  secretsDir: string,
  ownerAppId: string,
  secret: GeneratedSecret,
  podman?: Pick<Podman, 'readSecret'>,
): Promise<SecretFile> {
  const file = secretFilePath(secretsDir, ownerAppId, secret.name)
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
  const present = await readSecret(file)
  if (present !== undefined) return { value: present, created: false }

  const kept = await podman?.readSecret(podmanSecretName(ownerAppId, secret.name))
  const value = kept ?? generateSecretValue(secret.length, secret.charset)
  const handle = await open(file, 'wx', 0o600)
  try {
    await handle.writeFile(value)
    await handle.sync()
  } finally {
    await handle.close()
  }
  return kept === undefined ? { value, created: true } : { value, created: false, recovered: true }
}

/**
 * Makes sure the Podman secret holds the file's value: created when missing (from the file), and
 * replaced when the file was just made (a leftover Podman secret of that name must not win).
 */
export async function ensurePodmanSecret(
  podman: Podman,
  ownerAppId: string,
  secret: GeneratedSecret,
  file: SecretFile,
): Promise<void> {
  if (file.recovered) return
  const name = podmanSecretName(ownerAppId, secret.name)
  if (!file.created && (await podman.secretExists(name))) return
  if (file.created) await podman.removeSecret(name)
  await podman.createSecret(name, file.value)
}

/** Removes an app's secret files and their Podman secrets (purge only). */
export async function removeSecrets(
  podman: Podman,
  secretsDir: string,
  ownerAppId: string,
  secrets: GeneratedSecret[],
): Promise<void> {
  for (const secret of secrets) await podman.removeSecret(podmanSecretName(ownerAppId, secret.name))
  await rm(path.join(secretsDir, ownerAppId), { recursive: true, force: true })
}

async function readSecret(file: string): Promise<string | undefined> {
  try {
    const value = await readFile(file, 'utf8')
    if (value.length === 0)
      throw new ArchyError('secret-empty', `${file} is empty; remove it to regenerate`)
    return value
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
