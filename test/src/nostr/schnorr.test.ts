import { describe, expect, it } from 'vitest'
import { finalizeEvent, generateSecretKey, getEventHash, getPublicKey } from 'nostr-tools/pure'
import { verifyEvent } from 'nostr-tools/pure'
import type { NostrEvent } from '../../../src/nostr/event.js'
import { verifyEventSignature } from '../../../src/nostr/schnorr.js'

const valid = finalizeEvent(
  { kind: 30078, created_at: 1_700_000_000, tags: [['t', 'x']], content: 'release 🦀' },
  generateSecretKey(),
)

// Only the seven fields: nostr-tools caches a verdict under a symbol that a spread would copy.
function fieldsOf({ id, pubkey, created_at, kind, tags, content, sig }: NostrEvent): NostrEvent {
  return { id, pubkey, created_at, kind, tags, content, sig }
}

function withPubkey(pubkey: string): NostrEvent {
  const event = { ...fieldsOf(valid), pubkey }
  return { ...event, id: getEventHash(event) }
}

const flipped = (valid.sig[5] === '0' ? '1' : '0') as string

describe('verifyEventSignature', () => {
  it.each<[string, NostrEvent]>([
    ['a valid event', fieldsOf(valid)],
    [
      'a changed signature',
      { ...fieldsOf(valid), sig: valid.sig.slice(0, 5) + flipped + valid.sig.slice(6) },
    ],
    ['another pubkey', withPubkey(getPublicKey(generateSecretKey()))],
    ['a pubkey that is no curve point', withPubkey('f'.repeat(64))],
    ['a zero signature', { ...fieldsOf(valid), sig: '0'.repeat(128) }],
  ])('agrees with nostr-tools on %s', (_name, event) => {
    expect(verifyEventSignature(event)).toBe(verifyEvent(fieldsOf(event)))
  })

  it('accepts the valid event and refuses a changed one', () => {
    expect(verifyEventSignature(fieldsOf(valid))).toBe(true)
    expect(verifyEventSignature({ ...fieldsOf(valid), sig: '0'.repeat(128) })).toBe(false)
  })
})
