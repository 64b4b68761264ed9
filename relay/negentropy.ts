// Negentropy protocol V1 (range-based set reconciliation), written from the protocol text in
// hoytech/negentropy's README, which NIP-77 carries as its appendix. Pure: no I/O, no logging.
// Both roles: the initiator learns which ids it has and needs; the responder only answers.
import { createHash } from 'node:crypto'
import { ValidationError } from '../src/errors.js'

/** Protocol version 1 is the byte 0x61. */
export const PROTOCOL_VERSION = 0x61
const ID_SIZE = 32
const FINGERPRINT_SIZE = 16
const BUCKETS = 16
const MODE_SKIP = 0
const MODE_FINGERPRINT = 1
const MODE_ID_LIST = 2
/** The smallest frame size limit, as the reference implementation's. */
export const MIN_FRAME_SIZE_LIMIT = 4096
// Room kept under a frame size limit for the range that closes a cut-short message and the last
// id list's bound, mode and count; the reference implementation keeps the same.
const FRAME_RESERVE = 200

/** One record: its timestamp (created_at) and its 32-byte id. */
export interface NegentropyItem {
  timestamp: number
  id: Uint8Array
}

/** A bound: a timestamp (Infinity for the end of the universe) and an id prefix. */
interface Bound {
  timestamp: number
  prefix: Uint8Array
}

export interface ReconcileResult {
  /** The next message to send, or null when the initiator is done. */
  message: Uint8Array | null
  /** Ids the initiator has and the other side lacks (hex). Always empty for a responder. */
  have: string[]
  /** Ids the other side has and the initiator lacks (hex). Always empty for a responder. */
  need: string[]
}

export interface Negentropy {
  /** The initiator's first message, covering the whole universe. */
  initiate(): Uint8Array
  /** Reads one message from the other side and builds the answer. */
  reconcile(message: Uint8Array): ReconcileResult
}

const UNIVERSE_START: Bound = { timestamp: 0, prefix: new Uint8Array(0) }
const UNIVERSE_END: Bound = { timestamp: Infinity, prefix: new Uint8Array(0) }

/** Sorts records as the protocol needs: ascending timestamp, then ascending id bytes. */
export function sortItems(items: NegentropyItem[]): NegentropyItem[] {
  return items.sort((a, b) => a.timestamp - b.timestamp || compareBytes(a.id, b.id))
}

export interface NegentropyOptions {
  /**
   * Largest message this side sends, in bytes (0: none; else at least 4096). A message that
   * would pass it ends early with one fingerprint for the rest of the universe, so the other
   * side asks again for that part (the protocol's "frame size limit").
   */
  frameSizeLimit?: number
}

/** A reconciler over `items`, which must be sorted (sortItems) and hold 32-byte ids. */
export function createNegentropy(
  items: NegentropyItem[],
  role: 'initiator' | 'responder',
  options: NegentropyOptions = {},
): Negentropy {
  const initiator = role === 'initiator'
  const frameSizeLimit = options.frameSizeLimit ?? 0
  if (frameSizeLimit !== 0 && !(frameSizeLimit >= MIN_FRAME_SIZE_LIMIT)) {
    throw new ValidationError(
      'frameSizeLimit',
      `must be 0 or at least ${MIN_FRAME_SIZE_LIMIT} bytes, got ${frameSizeLimit}`,
    )
  }
  const budget = frameSizeLimit === 0 ? Infinity : frameSizeLimit - FRAME_RESERVE

  function initiate(): Uint8Array {
    if (!initiator) throw new ValidationError('negentropy', 'only the initiator sends first')
    const out = new MessageWriter()
    splitRange(out, 0, items.length, UNIVERSE_END)
    return out.finish()
  }

  function reconcile(message: Uint8Array): ReconcileResult {
    const have: string[] = []
    const need: string[] = []
    const reader = new MessageReader(message)

    // A responder that gets a version it cannot speak answers with its own version alone.
    const version = reader.byte()
    if (version !== PROTOCOL_VERSION) {
      if (initiator)
        throw new ValidationError('negentropy', `unsupported version 0x${hex2(version)}`)
      return { message: Uint8Array.of(PROTOCOL_VERSION), have, need }
    }

    const out = new MessageWriter()
    let previousBound = UNIVERSE_START
    let previousIndex = 0
    // The index where the last range written to `out` ends (a pending skip is not written).
    let writtenIndex = 0
    let skipping = false
    const flushSkip = (): void => {
      if (!skipping) return
      skipping = false
      out.bound(previousBound)
      out.varint(MODE_SKIP)
      writtenIndex = previousIndex
    }
    // Past the budget: drop what this range wrote and cover the rest with one fingerprint.
    const cutShort = (mark: number, markIndex: number): void => {
      out.rollback(mark)
      out.bound(UNIVERSE_END)
      out.varint(MODE_FINGERPRINT)
      out.raw(fingerprint(markIndex, items.length))
    }

    while (!reader.done()) {
      const bound = reader.bound()
      const mode = reader.varint()
      const lower = previousIndex
      const upper = findLowerBound(previousIndex, bound)
      const mark = out.mark()
      const markIndex = writtenIndex

      if (mode === MODE_SKIP) {
        skipping = true
      } else if (mode === MODE_FINGERPRINT) {
        const theirs = reader.bytes(FINGERPRINT_SIZE)
        if (compareBytes(theirs, fingerprint(lower, upper)) === 0) {
          skipping = true
        } else {
          flushSkip()
          splitRange(out, lower, upper, bound)
          writtenIndex = upper
        }
      } else if (mode === MODE_ID_LIST) {
        const count = reader.varint()
        const theirIds = new Set<string>()
        for (let i = 0; i < count; i++) theirIds.add(toHex(reader.bytes(ID_SIZE)))

        if (initiator) {
          // The range is settled: what only we hold we have, what only they hold we need.
          skipping = true
          for (let i = lower; i < upper; i++) {
            const id = toHex(itemAt(i).id)
            if (!theirIds.delete(id)) have.push(id)
          }
          need.push(...theirIds)
        } else {
          // The responder answers with its own complete list, so the initiator can settle it.
          // Under a frame size limit the list stops at the first id that starts past the budget
          // (counted without this range's skip, as the reference does), bounded by that id.
          const before = out.length
          flushSkip()
          const fits = Math.max(0, Math.floor((budget - before) / ID_SIZE) + 1)
          const end = Math.min(upper, lower + fits)
          const endBound =
            end < upper ? { timestamp: itemAt(end).timestamp, prefix: itemAt(end).id } : bound
          writeIdList(out, lower, end, endBound)
          writtenIndex = end
          // What was listed stays; the rest of the universe goes as one fingerprint.
          if (end < upper || out.length > budget) {
            cutShort(out.mark(), end)
            break
          }
        }
      } else {
        throw new ValidationError('negentropy', `unexpected range mode ${mode}`)
      }
      if (out.length > budget) {
        cutShort(mark, markIndex)
        break
      }

      previousIndex = upper
      previousBound = bound
    }

    const answer = out.finish()
    const finished = initiator && answer.length === 1
    return { message: finished ? null : answer, have, need }
  }

  // Splitting (the protocol leaves how to the implementation): a small range goes as an id list,
  // a larger one as BUCKETS fingerprints of nearly equal size whose bounds cover it exactly.
  function splitRange(out: MessageWriter, lower: number, upper: number, upperBound: Bound): void {
    const count = upper - lower
    if (count < BUCKETS * 2) return writeIdList(out, lower, upper, upperBound)

    const perBucket = Math.floor(count / BUCKETS)
    const withExtra = count % BUCKETS
    let current = lower
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      const size = perBucket + (bucket < withExtra ? 1 : 0)
      const print = fingerprint(current, current + size)
      current += size
      const bound =
        current === upper ? upperBound : minimalBound(itemAt(current - 1), itemAt(current))
      out.bound(bound)
      out.varint(MODE_FINGERPRINT)
      out.raw(print)
    }
  }

  function writeIdList(out: MessageWriter, lower: number, upper: number, bound: Bound): void {
    out.bound(bound)
    out.varint(MODE_ID_LIST)
    out.varint(upper - lower)
    for (let i = lower; i < upper; i++) out.raw(itemAt(i).id)
  }

  // The first index at or after `from` whose item is not below `bound`.
  function findLowerBound(from: number, bound: Bound): number {
    let low = from
    let high = items.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (isBelow(itemAt(middle), bound)) low = middle + 1
      else high = middle
    }
    return low
  }

  function fingerprint(lower: number, upper: number): Uint8Array {
    return computeFingerprint(items.slice(lower, upper).map((item) => item.id))
  }

  function itemAt(index: number): NegentropyItem {
    const item = items[index]
    if (item === undefined) throw new RangeError(`negentropy item ${index} out of range`)
    return item
  }

  return { initiate, reconcile }
}

/**
 * The fingerprint of a set of ids (protocol "Fingerprints"): their sum mod 2^256 as 32-byte
 * little-endian integers, followed by the count as a varint, hashed with SHA-256, first 16 bytes.
 */
export function computeFingerprint(ids: Uint8Array[]): Uint8Array {
  const sum = new Uint8Array(ID_SIZE)
  for (const id of ids) {
    let carry = 0
    for (let i = 0; i < ID_SIZE; i++) {
      const total = (sum[i] ?? 0) + (id[i] ?? 0) + carry
      sum[i] = total & 0xff
      carry = total >> 8
    }
  }
  const hash = createHash('sha256').update(sum).update(encodeVarint(ids.length)).digest()
  return new Uint8Array(hash.subarray(0, FINGERPRINT_SIZE))
}

/** Base-128 digits, most significant first, the high bit set on all but the last. */
export function encodeVarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`bad varint ${value}`)
  const digits = [value % 128]
  for (let rest = Math.floor(value / 128); rest > 0; rest = Math.floor(rest / 128)) {
    digits.unshift((rest % 128) | 0x80)
  }
  return Uint8Array.from(digits)
}

// The shortest bound that separates `current` from the item before it.
function minimalBound(previous: NegentropyItem, current: NegentropyItem): Bound {
  if (current.timestamp !== previous.timestamp) {
    return { timestamp: current.timestamp, prefix: new Uint8Array(0) }
  }
  let shared = 0
  while (shared < ID_SIZE && previous.id[shared] === current.id[shared]) shared++
  return { timestamp: current.timestamp, prefix: current.id.slice(0, shared + 1) }
}

// An item is below a bound when its timestamp is lower, or equal with a lower id than the
// bound's prefix padded with zero bytes.
function isBelow(item: NegentropyItem, bound: Bound): boolean {
  if (item.timestamp !== bound.timestamp) return item.timestamp < bound.timestamp
  const padded = new Uint8Array(ID_SIZE)
  padded.set(bound.prefix)
  return compareBytes(item.id, padded) < 0
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0)
    if (difference !== 0) return difference
  }
  return a.length - b.length
}

/** Builds one message; timestamps are delta-encoded from the previous bound of this message. */
class MessageWriter {
  private readonly chunks: Uint8Array[] = [Uint8Array.of(PROTOCOL_VERSION)]
  private lastTimestamp = 0
  /** Bytes written so far. */
  length = 1

  varint(value: number): void {
    this.raw(encodeVarint(value))
  }

  raw(bytes: Uint8Array): void {
    this.chunks.push(bytes)
    this.length += bytes.length
  }

  /** A point to roll back to. The timestamp delta is not restored: only an infinite bound,
   * which does not use it, may follow a rollback. */
  mark(): number {
    return this.chunks.length
  }

  rollback(mark: number): void {
    for (const chunk of this.chunks.splice(mark)) this.length -= chunk.length
  }

  bound(bound: Bound): void {
    if (bound.timestamp === Infinity) {
      this.varint(0)
    } else {
      this.varint(1 + bound.timestamp - this.lastTimestamp)
      this.lastTimestamp = bound.timestamp
    }
    this.varint(bound.prefix.length)
    this.raw(bound.prefix)
  }

  finish(): Uint8Array {
    return Buffer.concat(this.chunks)
  }
}

/** Reads one message; every read past the end is a ValidationError, never a crash. */
class MessageReader {
  private offset = 0
  private lastTimestamp = 0

  constructor(private readonly data: Uint8Array) {}

  done(): boolean {
    return this.offset >= this.data.length
  }

  byte(): number {
    const value = this.data[this.offset]
    if (value === undefined) throw new ValidationError('negentropy', 'message ends prematurely')
    this.offset++
    return value
  }

  bytes(length: number): Uint8Array {
    if (this.offset + length > this.data.length) {
      throw new ValidationError('negentropy', 'message ends prematurely')
    }
    const slice = this.data.slice(this.offset, this.offset + length)
    this.offset += length
    return slice
  }

  varint(): number {
    let value = 0
    for (;;) {
      const digit = this.byte()
      value = value * 128 + (digit & 0x7f)
      if (!Number.isSafeInteger(value)) throw new ValidationError('negentropy', 'varint too large')
      if ((digit & 0x80) === 0) return value
    }
  }

  bound(): Bound {
    const encoded = this.varint()
    let timestamp = Infinity
    if (encoded !== 0 && this.lastTimestamp !== Infinity) {
      timestamp = this.lastTimestamp + encoded - 1
    }
    this.lastTimestamp = timestamp
    const length = this.varint()
    if (length > ID_SIZE) throw new ValidationError('negentropy', 'bound prefix over 32 bytes')
    return { timestamp, prefix: this.bytes(length) }
  }
}

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Bytes of a hex string; throws ValidationError naming `field` when it is not even-length hex. */
export function fromHex(text: string, field: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) {
    throw new ValidationError(field, 'must be an even number of hex digits')
  }
  return new Uint8Array(Buffer.from(text, 'hex'))
}

function hex2(value: number): string {
  return value.toString(16).padStart(2, '0')
}
