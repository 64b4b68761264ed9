// The `archy keys` commands: make, restore and show a publisher's or operator's key pair file
// (an Ed25519 did:key and a Nostr key). Secrets are written to the 0600 file and never printed.
import { generateEd25519, ed25519FromSeed } from '../../identity/did-key.js'
import { readKeyFile, writeKeyFile, type KeyPairs } from '../../identity/key-file.js'
import {
  NOSTR_SECRET_RULE,
  generateNostrKeys,
  nostrKeysFromSecret,
  parseHex32,
  type NostrKeypair,
} from '../../identity/nostr-keys.js'
import { UsageError } from '../../errors.js'
import {
  flagOption,
  requireOption,
  stringOption,
  type CommandInput,
  type CommandSpec,
} from '../command.js'

const json = { type: 'boolean', description: 'print the result as JSON' } as const

export const commands: CommandSpec[] = [
  {
    noun: 'keys',
    verb: 'new',
    summary: 'make an Ed25519 (did:key) and a Nostr key in one 0600 file',
    options: {
      out: { type: 'string', valueName: 'FILE', description: 'key file to create' },
      json,
    },
    async run(input) {
      const out = requireOption(input, 'out')
      const keys = { ed25519: generateEd25519(), nostr: generateNostrKeys() }
      await writeKeyFile(out, keys)
      printKeys(input, keys, out)
      return 0
    },
  },
  {
    noun: 'keys',
    verb: 'import',
    summary: 'restore a key file from backed-up secrets',
    options: {
      'ed25519-seed': { type: 'string', valueName: 'HEX', description: '32-byte Ed25519 seed' },
      'nostr-secret': { type: 'string', valueName: 'HEX', description: '32-byte Nostr secret' },
      out: { type: 'string', valueName: 'FILE', description: 'key file to create' },
      json,
    },
    async run(input) {
      const out = requireOption(input, 'out')
      const seed = parseFlagHex(requireOption(input, 'ed25519-seed'), '--ed25519-seed')
      const secret = stringOption(input, 'nostr-secret')
      const nostr = secret === undefined ? generateNostrKeys() : parseNostrSecret(secret)
      if (secret === undefined) {
        input.io.err('warning: no --nostr-secret given; a new Nostr key was made')
      }
      const keys = { ed25519: ed25519FromSeed(seed), nostr }
      await writeKeyFile(out, keys)
      printKeys(input, keys, out)
      return 0
    },
  },
  {
    noun: 'keys',
    verb: 'show',
    summary: 'print the public identity (DID, npub) of a key file',
    options: { key: { type: 'string', valueName: 'FILE', description: 'key file' }, json },
    async run(input) {
      const path = requireOption(input, 'key')
      printKeys(input, await readKeyFile(path), path)
      return 0
    },
  },
]

function printKeys(input: CommandInput, keys: KeyPairs, file: string): void {
  const identity = {
    file,
    did: keys.ed25519.did,
    npub: keys.nostr.npub,
    nostr_pubkey: keys.nostr.pubkey,
  }
  if (flagOption(input, 'json')) {
    input.io.out(JSON.stringify(identity, null, 2))
    return
  }
  input.io.out(`did:          ${identity.did}`)
  input.io.out(`npub:         ${identity.npub}`)
  input.io.out(`nostr pubkey: ${identity.nostr_pubkey}`)
}

// Neither message ever shows the value: it is a secret.
function parseFlagHex(value: string, flag: string): Uint8Array {
  try {
    return parseHex32(value, flag)
  } catch {
    throw new UsageError(`${flag}: must be 64 hexadecimal characters (32 bytes)`)
  }
}

/** Any 32 bytes are an Ed25519 seed (RFC 8032), but not every 32 bytes are a secp256k1 key. */
function parseNostrSecret(value: string): NostrKeypair {
  const bytes = parseFlagHex(value, '--nostr-secret')
  try {
    return nostrKeysFromSecret(bytes)
  } catch {
    throw new UsageError(`--nostr-secret: ${NOSTR_SECRET_RULE}`)
  }
}
