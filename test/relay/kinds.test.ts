// Kind classes, addresses and the replacement order of NIP-01, table-driven.
import { describe, expect, it } from 'vitest'
import type { NostrEvent } from 'nostr-tools/pure'
import { addressOf, classifyKind, supersedes } from '../../relay/kinds.js'

const PUBKEY = 'b'.repeat(64)

function eventOf(kind: number, tags: string[][] = []): NostrEvent {
  return { id: 'a'.repeat(64), pubkey: PUBKEY, created_at: 1, kind, tags, content: '', sig: '' }
}

describe('classifyKind', () => {
  it.each([
    [0, 'replaceable'],
    [1, 'regular'],
    [3, 'replaceable'],
    [9999, 'regular'],
    [10000, 'replaceable'],
    [19999, 'replaceable'],
    [20000, 'ephemeral'],
    [29999, 'ephemeral'],
    [30000, 'addressable'],
    [39999, 'addressable'],
    [40000, 'regular'],
    [65535, 'regular'],
  ])('classifies kind %i as %s', (kind, expected) => {
    expect(classifyKind(kind)).toBe(expected)
  })
})

describe('addressOf', () => {
  it.each([
    [eventOf(1), null],
    [eventOf(20000), null],
    [eventOf(0, [['d', 'ignored']]), `0:${PUBKEY}:`],
    [eventOf(30078), `30078:${PUBKEY}:`],
    [eventOf(30078, [['d']]), `30078:${PUBKEY}:`],
    [eventOf(30078, [['d', '']]), `30078:${PUBKEY}:`],
    [
      eventOf(30078, [
        ['d', 'b'],
        ['d', 'a'],
      ]),
      `30078:${PUBKEY}:b`,
    ],
    [
      eventOf(30078, [
        ['t', 'x'],
        ['d', 'app:x'],
      ]),
      `30078:${PUBKEY}:app:x`,
    ],
  ])('gives %j the address %s', (event, expected) => {
    expect(addressOf(event)).toBe(expected)
  })
})

describe('supersedes', () => {
  const low = 'a'.repeat(64)
  const high = 'f'.repeat(64)

  it.each([
    [{ created_at: 2, id: high }, { created_at: 1, id: low }, true],
    [{ created_at: 1, id: low }, { created_at: 2, id: high }, false],
    [{ created_at: 1, id: low }, { created_at: 1, id: high }, true],
    [{ created_at: 1, id: high }, { created_at: 1, id: low }, false],
    [{ created_at: 1, id: low }, { created_at: 1, id: low }, false],
  ])('%j over %j: %s', (candidate, current, expected) => {
    expect(supersedes(candidate, current)).toBe(expected)
  })
})
