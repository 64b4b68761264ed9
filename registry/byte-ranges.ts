// Range requests (RFC 9110 §14): which bytes of a representation a GET asks for. One or more
// ranges are honoured (several as multipart/byteranges, §14.6); `If-Range` lets a client resume
// only while the blob is the one it started with (§13.1.5).

export interface ByteRange {
  start: number
  /** Inclusive. */
  end: number
}

/** What to send: everything, some ranges, or 416 because none of them overlaps the bytes. */
export type RangeAnswer =
  { kind: 'whole' } | { kind: 'partial'; ranges: ByteRange[] } | { kind: 'unsatisfiable' }

/** More ranges than this in one request are ignored and the whole blob is sent (§14.2). */
export const MAX_RANGES = 32

const RANGE_SPEC = /^(\d*)-(\d*)$/

/**
 * Reads a Range header against a representation of `size` bytes. A header that is absent,
 * malformed, of another unit or of more than MAX_RANGES ranges is ignored, as RFC 9110 §14.2
 * allows; overlapping and adjacent ranges are merged so a client cannot multiply the bytes sent.
 */
export function parseRangeHeader(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return { kind: 'whole' }
  const match = /^\s*bytes\s*=\s*(.+)$/i.exec(header)
  if (!match) return { kind: 'whole' }
  const specs = match[1]!.split(',').map((spec) => spec.trim())
  if (specs.length > MAX_RANGES) return { kind: 'whole' }

  const ranges: ByteRange[] = []
  for (const spec of specs) {
    const parts = RANGE_SPEC.exec(spec)
    if (!parts) return { kind: 'whole' }
    const [, first = '', last = ''] = parts
    if (first === '' && last === '') return { kind: 'whole' }
    if (first !== '' && last !== '' && Number(first) > Number(last)) return { kind: 'whole' }

    // A suffix range `-n` is the last n bytes; `a-` runs to the end; `a-b` is clipped to it.
    if (first === '') {
      if (Number(last) > 0 && size > 0) {
        ranges.push({ start: Math.max(0, size - Number(last)), end: size - 1 })
      }
    } else if (Number(first) < size) {
      const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
      ranges.push({ start: Number(first), end })
    }
  }
  if (ranges.length === 0) return { kind: 'unsatisfiable' }
  return { kind: 'partial', ranges: mergeRanges(ranges) }
}

/** Ranges sorted and with overlapping or adjacent ones joined. */
function mergeRanges(ranges: ByteRange[]): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start)
  const merged: ByteRange[] = [{ ...sorted[0]! }]
  for (const range of sorted.slice(1)) {
    const last = merged[merged.length - 1]!
    if (range.start <= last.end + 1) last.end = Math.max(last.end, range.end)
    else merged.push({ ...range })
  }
  return merged
}

/**
 * True when a Range header may be honoured given `If-Range` (§13.1.5): absent, or an entity tag
 * strongly equal to the current one. A date, or a weak or other tag, means "send it all".
 */
export function passesIfRange(header: string | undefined, etag: string): boolean {
  if (header === undefined) return true
  return header.trim() === etag
}
