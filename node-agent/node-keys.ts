// The node's own keys (DESIGN.md §4 placeholders): an Ed25519 key and a Nostr key, made on first
// run and kept in one 0600 file in the agent's state.
import { access } from 'node:fs/promises'

import { generateEd25519 } from '../src/identity/did-key.js'
import { readKeyFile, writeKeyFile, type KeyPairs } from '../src/identity/key-file.js'
import { bytesToHex, generateNostrKeys } from '../src/identity/nostr-keys.js'

/** Reads the node's keys, making them first when the file does not exist. */
export async function loadNodeKeys(file: string): Promise<KeyPairs> {
  if (!(await exists(file))) {
    await writeKeyFile(file, { ed25519: generateEd25519(), nostr: generateNostrKeys() })
  }
  return readKeyFile(file)
}

/** `{{NODE_NOSTR_PUBKEY}}` and `{{NODE_IDENTITY_PUBKEYS}}` (comma-separated hex public keys). */
export function describeNodeKeys(keys: KeyPairs): {
  NODE_NOSTR_PUBKEY: string
  NODE_IDENTITY_PUBKEYS: string
} {
  return {
    NODE_NOSTR_PUBKEY: keys.nostr.pubkey,
    NODE_IDENTITY_PUBKEYS: [bytesToHex(keys.ed25519.publicKey), keys.nostr.pubkey].join(','),
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file)
    return true
  } catch {
    return false
  }
}
