// Event shape checks, table-driven: each field's rule with its exact message.
import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../src/errors.js'
import { parseEventShape, readEventId } from '../../relay/event-shape.js'

const valid = {
  id: 'a'.repeat(64),
  pubkey: 'b'.repeat(64),
  created_at: 1_700_000_000,
  kind: 1,
  tags: [['t', 'x'], []],
  content: 'hello',
  sig: 'c'.repeat(128),
}

describe('parseEventShape', () => {
  it('returns the seven NIP-01 fields and drops anything else', () => {
    expect(parseEventShape({ ...valid, extra: true })).toEqual(valid)
  })

  it.each([0, 65535])('accepts kind %i', (kind) => {
    expect(parseEventShape({ ...valid, kind }).kind).toBe(kind)
  })

  it.each([
    ['an array', [], 'event: must be a JSON object'],
    ['null', null, 'event: must be a JSON object'],
    ['a missing id', { ...valid, id: undefined }, 'id: must be 64 lowercase hex characters'],
    [
      'an uppercase id',
      { ...valid, id: 'A'.repeat(64) },
      'id: must be 64 lowercase hex characters',
    ],
    [
      'a 63-character pubkey',
      { ...valid, pubkey: 'b'.repeat(63) },
      'pubkey: must be 64 lowercase hex characters',
    ],
    [
      'a 64-character sig',
      { ...valid, sig: 'c'.repeat(64) },
      'sig: must be 128 lowercase hex characters',
    ],
    [
      'a negative created_at',
      { ...valid, created_at: -1 },
      'created_at: must be a non-negative integer',
    ],
    [
      'an unsafe created_at',
      { ...valid, created_at: 2 ** 60 },
      'created_at: must be a non-negative integer',
    ],
    ['a kind of 65536', { ...valid, kind: 65536 }, 'kind: must be an integer from 0 to 65535'],
    ['a kind of 1.5', { ...valid, kind: 1.5 }, 'kind: must be an integer from 0 to 65535'],
    ['content null', { ...valid, content: null }, 'content: must be a string'],
    ['tags as an object', { ...valid, tags: {} }, 'tags: must be an array of arrays'],
    ['a tag object', { ...valid, tags: [['t'], {}] }, 'tags[1]: must be an array'],
    ['a tag with null', { ...valid, tags: [['t', null]] }, 'tags[0]: must contain only strings'],
  ])('refuses %s', (_name, input, message) => {
    const parse = (): unknown => parseEventShape(input)
    expect(parse).toThrow(ValidationError)
    expect(parse).toThrow(message)
  })
})

describe('readEventId', () => {
  it.each([
    [valid, valid.id],
    [{ id: 'A'.repeat(64) }, null],
    [{ id: 5 }, null],
    ['not an event', null],
  ])('reads the id of %j as %s', (input, expected) => {
    expect(readEventId(input)).toBe(expected)
  })
})
