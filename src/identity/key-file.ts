// The keys file: one Ed25519 key (did:key) and one Nostr key, stored together as JSON with mode
// 0600. It holds secrets, so it is never printed, and is never world-readable, even while written.
import { open, readFile, stat } from 'node:fs/promises'

import { ArchyError, ValidationError } from '../errors.js'
import { ed25519FromSeed, type Ed25519Keypair } from './did-key.js'
import { bytesToHex, nostrKeysFromSecret, parseHex32, type NostrKeypair } from './nostr-keys.js'

export interface KeyPairs {
  ed25519: Ed25519Keypair
  nostr: NostrKeypair
}

interface KeyFileJson {
  type: 'ArchipelagoKeys'
  version: 1
  did: string
  nostr_pubkey: string
  ed25519_seed: string
  nostr_secret: string
}

/** Writes a new keys file with mode 0600; refuses to overwrite an existing one. */
export async function writeKeyFile(path: string, keys: KeyPairs): Promise<void> {
  const body: KeyFileJson = {
    type: 'ArchipelagoKeys',
    version: 1,
    did: keys.ed25519.did,
    nostr_pubkey: keys.nostr.pubkey,
    ed25519_seed: bytesToHex(keys.ed25519.seed),
    nostr_secret: bytesToHex(keys.nostr.secretKey),
  }
  let handle
  try {
    handle = await open(path, 'wx', 0o600)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ArchyError('exists', `${path} already exists; refusing to overwrite a key file`)
    }
    throw new ArchyError('io', `cannot write ${path}: ${(error as Error).message}`, {
      cause: error,
    })
  }
  try {
    await handle.writeFile(JSON.stringify(body, null, 2) + '\n')
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Reads and checks a keys file; a file readable by others is refused. */
export async function readKeyFile(path: string): Promise<KeyPairs> {
  let text: string
  try {
    const info = await stat(path)
    if (info.isDirectory()) {
      throw new ArchyError('not-a-file', `${path} is a directory, not a key file`)
    }
    if (!info.isFile()) throw new ArchyError('not-a-file', `${path} is not a regular file`)
    if ((info.mode & 0o077) !== 0) {
      throw new ArchyError(
        'key-permissions',
        `${path} is readable by others; run chmod 600 ${path}`,
      )
    }
    text = await readFile(path, 'utf8')
  } catch (error) {
    if (error instanceof ArchyError) throw error
    throw new ArchyError('io', `cannot read key file ${path}: ${(error as Error).message}`, {
      cause: error,
    })
  }
  let json: Partial<KeyFileJson>
  try {
    json = JSON.parse(text) as Partial<KeyFileJson>
  } catch {
    throw new ValidationError(path, 'is not a keys file (invalid JSON)')
  }
  if (json.type !== 'ArchipelagoKeys') {
    throw new ValidationError(`${path}: type`, 'must be "ArchipelagoKeys"')
  }
  const ed25519 = ed25519FromSeed(parseHex32(String(json.ed25519_seed), `${path}: ed25519_seed`))
  const nostrField = `${path}: nostr_secret`
  const nostr = nostrKeysFromSecret(parseHex32(String(json.nostr_secret), nostrField), nostrField)
  if (json.did !== undefined && json.did !== ed25519.did) {
    throw new ValidationError(`${path}: did`, 'does not match ed25519_seed')
  }
  return { ed25519, nostr }
}
