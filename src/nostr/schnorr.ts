// BIP-340 signature checks for code that verifies events one at a time (the registry's indexer,
// the agent): bcrypto's libsecp256k1 binding, or nostr-tools' pure JS where that build is missing.
import { createRequire } from 'node:module'
import { verifyEvent } from 'nostr-tools'

import type { NostrEvent } from './event.js'

interface NativeSchnorr {
  verify(message: Buffer, signature: Buffer, publicKey: Buffer): boolean
}

const native = loadNative()

function loadNative(): NativeSchnorr | null {
  try {
    return createRequire(import.meta.url)('bcrypto/lib/native/schnorr') as NativeSchnorr
  } catch {
    return null
  }
}

/** True when `event.sig` is a BIP-340 signature of `event.id` by `event.pubkey`. */
export function verifyEventSignature(event: NostrEvent): boolean {
  if (native === null) return verifyEvent({ ...event })
  try {
    const [id, sig, pubkey] = [event.id, event.sig, event.pubkey].map((hex) =>
      Buffer.from(hex, 'hex'),
    )
    return native.verify(id as Buffer, sig as Buffer, pubkey as Buffer)
  } catch {
    return false
  }
}
