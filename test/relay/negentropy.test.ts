// Negentropy V1 as a pure protocol: varints and fingerprints as the protocol text defines them,
// reconciliation of random sets between our two roles, our responder against nostr-tools'
// independent initiator (it has no responder role), and malformed messages.
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { nip77 } from 'nostr-tools'
import { ValidationError } from '../../src/errors.js'
import { createNegentropy } from '../../relay/negentropy.js'
import {
  computeFingerprint,
  encodeVarint,
  fromHex,
  sortItems,
  toHex,
} from '../../relay/negentropy-wire.js'
import type { NegentropyItem } from '../../relay/negentropy-wire.js'

// nostr-tools exports its NIP-77 module only from its index.
const { Negentropy: ToolsNegentropy, NegentropyStorageVector } = nip77
type NegentropyStorageVector = InstanceType<typeof NegentropyStorageVector>

interface Record {
  timestamp: number
  id: string
}

/** `shared` records on both sides, plus `onlyA` and `onlyB`; timestamps drawn from `spread`. */
function makeSets(shared: number, onlyA: number, onlyB: number, spread = 1000) {
  const make = (count: number): Record[] =>
    Array.from({ length: count }, () => ({
      timestamp: 1_700_000_000 + Math.floor(Math.random() * spread),
      id: randomBytes(32).toString('hex'),
    }))
  const common = make(shared)
  const a = make(onlyA)
  const b = make(onlyB)
  return { a: [...common, ...a], b: [...common, ...b], onlyA: a, onlyB: b }
}

function toItems(records: Record[]): NegentropyItem[] {
  return sortItems(
    records.map((record) => ({ timestamp: record.timestamp, id: fromHex(record.id, 'id') })),
  )
}

/** Runs our initiator over `a` against our responder over `b`; returns have, need and rounds. */
function reconcileOurs(a: Record[], b: Record[]) {
  const initiator = createNegentropy(toItems(a), 'initiator')
  const responder = createNegentropy(toItems(b), 'responder')
  const have: string[] = []
  const need: string[] = []
  let message: Uint8Array | null = initiator.initiate()
  let rounds = 0
  while (message !== null) {
    rounds++
    if (rounds > 20) throw new Error('reconciliation does not terminate')
    const reply = responder.reconcile(message).message
    if (reply === null) throw new Error('a responder always answers')
    const result = initiator.reconcile(reply)
    have.push(...result.have)
    need.push(...result.need)
    message = result.message
  }
  return { have: have.sort(), need: need.sort(), rounds }
}

const ids = (records: Record[]): string[] => records.map((record) => record.id).sort()

function toolsStorage(records: Record[]): NegentropyStorageVector {
  const storage = new NegentropyStorageVector()
  for (const record of records) storage.insert(record.timestamp, record.id)
  storage.seal()
  return storage
}

describe('encodeVarint', () => {
  it.each([
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8100'],
    [300, '822c'],
    [16_384, '818000'],
  ])('encodes %i as %s (base 128, most significant digit first)', (value, hex) => {
    expect(toHex(encodeVarint(value))).toBe(hex)
  })
})

describe('computeFingerprint', () => {
  it('agrees with nostr-tools on empty, small and large sets', () => {
    for (const size of [0, 1, 2, 100, 1000]) {
      const { a } = makeSets(size, 0, 0)
      const sorted = toItems(a)
      const storage = toolsStorage(a)
      expect(toHex(computeFingerprint(sorted.map((item) => item.id)))).toBe(
        toHex(storage.fingerprint(0, storage.size())),
      )
    }
  })

  it('carries the sum across all 32 bytes, mod 2^256', () => {
    const max = new Uint8Array(32).fill(0xff)
    const one = new Uint8Array(32)
    one[0] = 1
    // (2^256 - 1) + 1 wraps to zero: the same sum as no ids, but the count differs.
    const wrapped = computeFingerprint([max, one])
    const zeros = computeFingerprint([new Uint8Array(32), new Uint8Array(32)])
    expect(toHex(wrapped)).toBe(toHex(zeros))
    expect(toHex(wrapped)).not.toBe(toHex(computeFingerprint([])))
  })
})

describe('createNegentropy', () => {
  it.each([
    ['both empty', 0, 0, 0],
    ['equal sets', 500, 0, 0],
    ['only the initiator holds records', 0, 40, 0],
    ['only the responder holds records', 0, 0, 40],
    ['a few differences in a large set', 5000, 3, 4],
    ['many differences', 2000, 300, 500],
  ])('finds exactly the differences: %s', (_name, shared, onlyA, onlyB) => {
    const sets = makeSets(shared, onlyA, onlyB)
    const result = reconcileOurs(sets.a, sets.b)
    expect(result.have).toEqual(ids(sets.onlyA))
    expect(result.need).toEqual(ids(sets.onlyB))
  })

  it('tells records with equal timestamps apart by id prefix', () => {
    const sets = makeSets(3000, 20, 20, 1)
    const result = reconcileOurs(sets.a, sets.b)
    expect(result.have).toEqual(ids(sets.onlyA))
    expect(result.need).toEqual(ids(sets.onlyB))
  })

  it('finds one difference among 5000 records in a few rounds', () => {
    const sets = makeSets(5000, 0, 1)
    expect(reconcileOurs(sets.a, sets.b).rounds).toBeLessThanOrEqual(4)
  })

  it('answers nostr-tools as responder with the differences it finds', () => {
    const sets = makeSets(3000, 25, 35)
    const tools = new ToolsNegentropy(toolsStorage(sets.a))
    const ours = createNegentropy(toItems(sets.b), 'responder')
    const have: string[] = []
    const need: string[] = []
    let message: string | null = tools.initiate()
    while (message !== null) {
      const reply = ours.reconcile(fromHex(message, 'message')).message
      message = tools.reconcile(
        toHex(reply ?? new Uint8Array()),
        (id) => have.push(id),
        (id) => need.push(id),
      )
    }
    expect(have.sort()).toEqual(ids(sets.onlyA))
    expect(need.sort()).toEqual(ids(sets.onlyB))
  })

  it('answers an unknown protocol version with its own version byte alone', () => {
    const responder = createNegentropy([], 'responder')
    expect(toHex(responder.reconcile(Uint8Array.of(0x62)).message ?? new Uint8Array())).toBe('61')
  })

  it('refuses an unknown version as initiator', () => {
    const initiator = createNegentropy([], 'initiator')
    expect(() => initiator.reconcile(Uint8Array.of(0x60))).toThrow(/unsupported version 0x60/)
  })

  it.each([
    ['an empty message', ''],
    ['a truncated fingerprint', '61000101aabb'],
    ['a deprecated mode 3', '610000 03'.replace(' ', '')],
    ['an id list longer than its bytes', '6100000202' + 'ab'.repeat(32)],
    ['a prefix over 32 bytes', '610021' + '00'.repeat(33) + '00'],
  ])('throws a ValidationError for %s', (_name, hex) => {
    const responder = createNegentropy([], 'responder')
    expect(() => responder.reconcile(fromHex(hex, 'message'))).toThrow(ValidationError)
  })
})
