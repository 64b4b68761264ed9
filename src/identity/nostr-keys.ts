// Nostr keys (secp256k1, BIP-340) and their bech32 forms (NIP-19), through nostr-tools.
import { generateSecretKey, getPublicKey, nip19 } from 'nostr-tools'

import { ValidationError } from '../errors.js'

export interface NostrKeypair {
  secretKey: Uint8Array
  /** x-only public key, 64 lowercase hex. */
  pubkey: string
  npub: string
}

/** Makes a new random Nostr key pair. */
export function generateNostrKeys(): NostrKeypair {
  return nostrKeysFromSecret(generateSecretKey())
}

/** The rule a Nostr secret breaks when it is 32 bytes but no secp256k1 secret key (BIP-340). */
export const NOSTR_SECRET_RULE =
  'not a valid secp256k1 secret key (must be 64 hex, nonzero, below the curve order)'

/** Rebuilds a Nostr key pair from its 32-byte secret; `field` names where the secret came from. */
export function nostrKeysFromSecret(secretKey: Uint8Array, field = 'nostr secret'): NostrKeypair {
  if (secretKey.length !== 32) {
    throw new ValidationError(field, `must be 32 bytes, got ${secretKey.length}`)
  }
  let pubkey: string
  try {
    pubkey = getPublicKey(secretKey)
  } catch (error) {
    throw new ValidationError(field, NOSTR_SECRET_RULE, { cause: error })
  }
  return { secretKey: new Uint8Array(secretKey), pubkey, npub: nip19.npubEncode(pubkey) }
}

/** Parses 64 hex characters into 32 bytes, naming the field on failure. */
export function parseHex32(value: string, field: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(value)) {
    throw new ValidationError(field, 'must be 64 hexadecimal characters')
  }
  return new Uint8Array(Buffer.from(value, 'hex'))
}

/** Lowercase hex of some bytes. */
export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}
