// Structural checks of an incoming event (NIP-01 field types and formats), run before any hashing
// or signature work. Returns the event with only its seven NIP-01 fields.
import type { NostrEvent } from 'nostr-tools/pure'
import { ValidationError } from '../src/errors.js'

const HEX_64 = /^[0-9a-f]{64}$/
const HEX_128 = /^[0-9a-f]{128}$/

/** Checks the shape of `input`; throws ValidationError naming the first broken field. */
export function parseEventShape(input: unknown): NostrEvent {
  if (!isPlainObject(input)) throw new ValidationError('event', 'must be a JSON object')
  const { id, pubkey, created_at, kind, tags, content, sig } = input

  requireHex('id', id, HEX_64, '64 lowercase hex characters')
  requireHex('pubkey', pubkey, HEX_64, '64 lowercase hex characters')
  requireHex('sig', sig, HEX_128, '128 lowercase hex characters')
  if (!Number.isSafeInteger(created_at) || (created_at as number) < 0) {
    throw new ValidationError('created_at', 'must be a non-negative integer')
  }
  if (!Number.isInteger(kind) || (kind as number) < 0 || (kind as number) > 65535) {
    throw new ValidationError('kind', 'must be an integer from 0 to 65535')
  }
  if (typeof content !== 'string') throw new ValidationError('content', 'must be a string')
  requireTags(tags)

  return {
    id: id as string,
    pubkey: pubkey as string,
    created_at: created_at as number,
    kind: kind as number,
    tags: tags as string[][],
    content,
    sig: sig as string,
  }
}

/** The event's id when `input` carries a well-formed one, so an OK can name it. */
export function readEventId(input: unknown): string | null {
  if (!isPlainObject(input)) return null
  return typeof input.id === 'string' && HEX_64.test(input.id) ? input.id : null
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function requireHex(field: string, value: unknown, pattern: RegExp, rule: string): void {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new ValidationError(field, `must be ${rule}`)
  }
}

function requireTags(tags: unknown): void {
  if (!Array.isArray(tags)) throw new ValidationError('tags', 'must be an array of arrays')
  tags.forEach((tag: unknown, index) => {
    if (!Array.isArray(tag)) throw new ValidationError(`tags[${index}]`, 'must be an array')
    if (!tag.every((item: unknown) => typeof item === 'string')) {
      throw new ValidationError(`tags[${index}]`, 'must contain only strings')
    }
  })
}
