// Negentropy protocol V1's wire format (hoytech/negentropy's README, NIP-77's appendix): records
// and their order, bounds, varints, fingerprints and the reader and writer of one message. Pure:
// no I/O, no logging. The reconciliation that uses them is relay/negentropy.ts.
import { createHash } from 'node:crypto'
import { ValidationError } from '../src/errors.js'

/** Protocol version 1 is the byte 0x61. */
export const PROTOCOL_VERSION = 0x61
export const ID_SIZE = 32
export const FINGERPRINT_SIZE = 16
export const MODE_SKIP = 0
export const MODE_FINGERPRINT = 1
export const MODE_ID_LIST = 2

/** One record: its timestamp (created_at) and its 32-byte id. */
export interface NegentropyItem {
  timestamp: number
  id: Uint8Array
}

/** A bound: a timestamp (Infinity for the end of the universe) and an id prefix. */
export interface Bound {
  timestamp: number
  prefix: Uint8Array
}

export const UNIVERSE_START: Bound = { timestamp: 0, prefix: new Uint8Array(0) }
export const UNIVERSE_END: Bound = { timestamp: Infinity, prefix: new Uint8Array(0) }

/** Sorts records as the protocol needs: ascending timestamp, then ascending id bytes. */
export function sortItems(items: NegentropyItem[]): NegentropyItem[] {
  return items.sort((a, b) => a.timestamp - b.timestamp || compareBytes(a.id, b.id))
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

/** The shortest bound that separates `current` from the item before it. */
export function minimalBound(previous: NegentropyItem, current: NegentropyItem): Bound {
  if (current.timestamp !== previous.timestamp) {
    return { timestamp: current.timestamp, prefix: new Uint8Array(0) }
  }
  let shared = 0
  while (shared < ID_SIZE && previous.id[shared] === current.id[shared]) shared++
  return { timestamp: current.timestamp, prefix: current.id.slice(0, shared + 1) }
}

/** Whether `item` is below `bound`: a lower timestamp, or an equal one with a lower id than the
 * bound's prefix padded with zero bytes. */
export function isBelow(item: NegentropyItem, bound: Bound): boolean {
  if (item.timestamp !== bound.timestamp) return item.timestamp < bound.timestamp
  const padded = new Uint8Array(ID_SIZE)
  padded.set(bound.prefix)
  return compareBytes(item.id, padded) < 0
}

/** Orders byte strings lexicographically, a prefix before what extends it. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0)
    if (difference !== 0) return difference
  }
  return a.length - b.length
}

/** Builds one message; timestamps are delta-encoded from the previous bound of this message. */
export class MessageWriter {
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
export class MessageReader {
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

/** Two lowercase hex digits of a byte. */
export function hex2(value: number): string {
  return value.toString(16).padStart(2, '0')
}
