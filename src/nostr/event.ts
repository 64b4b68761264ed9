// The Nostr event codec (NIP-01): shape checks that name the field, id computation and BIP-340
// signatures. Signing goes through nostr-tools, verification through ./schnorr.ts.
import { finalizeEvent, getEventHash, type EventTemplate } from 'nostr-tools'

import { ValidationError, VerificationError } from '../errors.js'
import { verifyEventSignature } from './schnorr.js'

export interface NostrEvent {
  id: string
  pubkey: string
  created_at: number
  kind: number
  tags: string[][]
  content: string
  sig: string
}

const HEX64 = /^[0-9a-f]{64}$/
const HEX128 = /^[0-9a-f]{128}$/

/** Checks an unknown value is a well-formed event (types and encodings), naming the field. */
export function checkEventShape(value: unknown): NostrEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError('event', 'must be a JSON object')
  }
  const e = value as Record<string, unknown>
  if (typeof e.id !== 'string' || !HEX64.test(e.id)) {
    throw new ValidationError('event.id', 'must be 64 lowercase hex characters')
  }
  if (typeof e.pubkey !== 'string' || !HEX64.test(e.pubkey)) {
    throw new ValidationError('event.pubkey', 'must be 64 lowercase hex characters')
  }
  if (typeof e.sig !== 'string' || !HEX128.test(e.sig)) {
    throw new ValidationError('event.sig', 'must be 128 lowercase hex characters')
  }
  if (!Number.isSafeInteger(e.created_at) || (e.created_at as number) < 0) {
    throw new ValidationError('event.created_at', 'must be a non-negative integer')
  }
  if (!Number.isInteger(e.kind) || (e.kind as number) < 0 || (e.kind as number) > 65535) {
    throw new ValidationError('event.kind', 'must be an integer from 0 to 65535')
  }
  if (typeof e.content !== 'string') {
    throw new ValidationError('event.content', 'must be a string')
  }
  if (!Array.isArray(e.tags)) throw new ValidationError('event.tags', 'must be an array')
  e.tags.forEach((tag, index) => {
    if (!Array.isArray(tag) || !tag.every((item) => typeof item === 'string')) {
      throw new ValidationError(`event.tags[${index}]`, 'must be an array of strings')
    }
  })
  return e as unknown as NostrEvent
}

/** Checks shape, id and signature; throws naming what is wrong. */
export function verifyNostrEvent(value: unknown): NostrEvent {
  const event = checkEventShape(value)
  if (getEventHash(event) !== event.id) {
    throw new VerificationError('event.id: does not match the event content')
  }
  if (!verifyEventSignature(event)) {
    throw new VerificationError('event.sig: signature does not verify')
  }
  return event
}

/** Signs an event template with a Nostr secret key. */
export function signNostrEvent(template: EventTemplate, secretKey: Uint8Array): NostrEvent {
  return finalizeEvent(template, secretKey) as NostrEvent
}

/** The value of the first tag with this name, if any. */
export function firstTagValue(event: { tags: string[][] }, name: string): string | undefined {
  return event.tags.find((tag) => tag[0] === name)?.[1]
}

/** Every value of tags with this name. */
export function tagValues(event: { tags: string[][] }, name: string): string[] {
  return event.tags.filter((tag) => tag[0] === name).map((tag) => tag[1] ?? '')
}
