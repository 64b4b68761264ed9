// Negentropy protocol V1 (range-based set reconciliation), written from the protocol text in
// hoytech/negentropy's README, which NIP-77 carries as its appendix. Pure: no I/O, no logging.
// Both roles: the initiator learns which ids it has and needs; the responder only answers. The
// wire format (bounds, varints, fingerprints, messages) is relay/negentropy-wire.ts.
import { ValidationError } from '../src/errors.js'
import {
  computeFingerprint,
  compareBytes,
  FINGERPRINT_SIZE,
  hex2,
  ID_SIZE,
  isBelow,
  MessageReader,
  MessageWriter,
  minimalBound,
  MODE_FINGERPRINT,
  MODE_ID_LIST,
  MODE_SKIP,
  PROTOCOL_VERSION,
  toHex,
  UNIVERSE_END,
  UNIVERSE_START,
} from './negentropy-wire.js'
import type { Bound, NegentropyItem } from './negentropy-wire.js'

const BUCKETS = 16
/** The smallest frame size limit, as the reference implementation's. */
export const MIN_FRAME_SIZE_LIMIT = 4096
// Room kept under a frame size limit for the range that closes a cut-short message and the last
// id list's bound, mode and count; the reference implementation keeps the same.
const FRAME_RESERVE = 200

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
