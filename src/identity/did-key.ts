// Ed25519 keys and their did:key names (W3C did:key method, multicodec ed25519-pub 0xed01,
// multibase base58btc). Signing and verification use node:crypto.
import { createPrivateKey, createPublicKey, randomBytes, sign, verify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'

import { base58 } from '@scure/base'

import { ValidationError } from '../errors.js'

const ED25519_PUB_PREFIX = Uint8Array.of(0xed, 0x01)
const ED25519_PRIV_PREFIX = Uint8Array.of(0x80, 0x26)
// DER prefixes of PKCS#8 and SPKI wrappers around a raw 32-byte Ed25519 key (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

export interface Ed25519Keypair {
  seed: Uint8Array
  publicKey: Uint8Array
  /** `did:key:z6Mk...` */
  did: string
  /** The Multikey form of the public key, `z6Mk...`. */
  multikey: string
}

/** Makes a new random Ed25519 key pair. */
export function generateEd25519(): Ed25519Keypair {
  return ed25519FromSeed(randomBytes(32))
}

/** Rebuilds a key pair from its 32-byte seed (the backed-up secret). */
export function ed25519FromSeed(seed: Uint8Array): Ed25519Keypair {
  if (seed.length !== 32) {
    throw new ValidationError('ed25519 seed', `must be 32 bytes, got ${seed.length}`)
  }
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  })
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
  const publicKey = new Uint8Array(spki.subarray(SPKI_PREFIX.length))
  const multikey = encodeMultikey(publicKey)
  return { seed: new Uint8Array(seed), publicKey, did: `did:key:${multikey}`, multikey }
}

/** `z6Mk...` for a raw 32-byte Ed25519 public key. */
export function encodeMultikey(publicKey: Uint8Array): string {
  return 'z' + base58.encode(concatBytes(ED25519_PUB_PREFIX, publicKey))
}

/** The raw public key from a Multikey (`z6Mk...`), a did:key, or a did:key URL with fragment. */
export function decodeMultikey(value: string): Uint8Array {
  const multikey = value.replace(/^did:key:/, '').replace(/#.*$/, '')
  if (!multikey.startsWith('z')) {
    throw new ValidationError('publicKey', `"${value}" is not a base58btc Multikey (z6Mk...)`)
  }
  let bytes: Uint8Array
  try {
    bytes = base58.decode(multikey.slice(1))
  } catch (error) {
    throw new ValidationError('publicKey', `"${value}" is not valid base58btc`, { cause: error })
  }
  if (bytes.length !== 34 || bytes[0] !== 0xed || bytes[1] !== 0x01) {
    throw new ValidationError('publicKey', `"${value}" is not an Ed25519 Multikey`)
  }
  return bytes.subarray(2)
}

/** The 32-byte seed from a Multikey-encoded Ed25519 secret key (`z3u2...`). */
export function decodeSecretMultikey(value: string): Uint8Array {
  const bytes = value.startsWith('z') ? base58.decode(value.slice(1)) : new Uint8Array()
  if (bytes.length !== 34 || bytes[0] !== 0x80 || bytes[1] !== 0x26) {
    throw new ValidationError('secretKey', 'is not an Ed25519 secret Multikey')
  }
  return bytes.subarray(2)
}

/** Encodes a 32-byte seed as a secret Multikey (multicodec ed25519-priv 0x1300). */
export function encodeSecretMultikey(seed: Uint8Array): string {
  return 'z' + base58.encode(concatBytes(ED25519_PRIV_PREFIX, seed))
}

/** Checks that a string is a did:key naming an Ed25519 key. */
export function isEd25519DidKey(value: string): boolean {
  if (!/^did:key:z[1-9A-HJ-NP-Za-km-z]+$/.test(value)) return false
  try {
    decodeMultikey(value)
    return true
  } catch {
    return false
  }
}

/** Signs a message with the key's seed (Ed25519, RFC 8032). */
export function signEd25519(seed: Uint8Array, message: Uint8Array): Uint8Array {
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  })
  return new Uint8Array(sign(null, message, privateKey))
}

/** Verifies an Ed25519 signature; false for any malformed input. */
export function verifyEd25519(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false
  try {
    return verify(null, message, readPublicKey(publicKey), signature)
  } catch {
    return false
  }
}

// Importing a key costs OpenSSL about as much as a verification, and a registry verifies the
// releases of a few publishers many times: their key objects are kept, a bounded number.
const publicKeys = new Map<string, KeyObject>()
const MAX_PUBLIC_KEYS = 1024

function readPublicKey(publicKey: Uint8Array): KeyObject {
  const hex = Buffer.from(publicKey).toString('hex')
  let key = publicKeys.get(hex)
  if (key === undefined) {
    key = createPublicKey({
      key: Buffer.concat([SPKI_PREFIX, publicKey]),
      format: 'der',
      type: 'spki',
    })
    if (publicKeys.size >= MAX_PUBLIC_KEYS) publicKeys.clear()
    publicKeys.set(hex, key)
  }
  return key
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}
