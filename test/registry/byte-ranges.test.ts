// Range headers (RFC 9110 §14.1.2, §14.2): what each form asks for, what is ignored, what is
// unsatisfiable, and If-Range's strong comparison (§13.1.5).
import { describe, expect, it } from 'vitest'

import { MAX_RANGES, parseRangeHeader, passesIfRange } from '../../registry/byte-ranges.js'

describe('parseRangeHeader', () => {
  it.each<[string | undefined, ReturnType<typeof parseRangeHeader>]>([
    [undefined, { kind: 'whole' }],
    ['bytes=0-0', { kind: 'partial', ranges: [{ start: 0, end: 0 }] }],
    ['bytes=10-', { kind: 'partial', ranges: [{ start: 10, end: 99 }] }],
    ['bytes=-10', { kind: 'partial', ranges: [{ start: 90, end: 99 }] }],
    ['bytes=-500', { kind: 'partial', ranges: [{ start: 0, end: 99 }] }],
    ['bytes=50-500', { kind: 'partial', ranges: [{ start: 50, end: 99 }] }],
    ['Bytes = 1-2', { kind: 'partial', ranges: [{ start: 1, end: 2 }] }],
    [
      'bytes=20-29, 0-9',
      {
        kind: 'partial',
        ranges: [
          { start: 0, end: 9 },
          { start: 20, end: 29 },
        ],
      },
    ],
    ['bytes=0-9,10-19,5-12', { kind: 'partial', ranges: [{ start: 0, end: 19 }] }],
    ['bytes=0-1,200-300', { kind: 'partial', ranges: [{ start: 0, end: 1 }] }],
    ['bytes=100-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=100-200,300-', { kind: 'unsatisfiable' }],
    ['bytes=9-1', { kind: 'whole' }],
    ['bytes=-', { kind: 'whole' }],
    ['bytes=a-b', { kind: 'whole' }],
    ['bytes=1-2,', { kind: 'whole' }],
    ['items=0-1', { kind: 'whole' }],
    ['0-1', { kind: 'whole' }],
  ])('reads %s against 100 bytes', (header, expected) => {
    expect(parseRangeHeader(header, 100)).toEqual(expected)
  })

  it('ignores more than MAX_RANGES ranges', () => {
    const many = Array.from({ length: MAX_RANGES + 1 }, (_, i) => `${i * 3}-${i * 3}`)
    expect(parseRangeHeader(`bytes=${many.join(',')}`, 1000)).toEqual({ kind: 'whole' })
    const most = many.slice(0, MAX_RANGES).join(',')
    expect(parseRangeHeader(`bytes=${most}`, 1000).kind).toBe('partial')
  })

  it('finds nothing satisfiable in an empty representation', () => {
    expect(parseRangeHeader('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' })
    expect(parseRangeHeader('bytes=-5', 0)).toEqual({ kind: 'unsatisfiable' })
  })
})

describe('passesIfRange', () => {
  it.each<[string | undefined, boolean]>([
    [undefined, true],
    ['"abc"', true],
    [' "abc" ', true],
    ['W/"abc"', false],
    ['"abd"', false],
    ['Fri, 04 Dec 2026 00:00:00 GMT', false],
  ])('If-Range %s against "abc" is %s', (header, expected) => {
    expect(passesIfRange(header, '"abc"')).toBe(expected)
  })
})
