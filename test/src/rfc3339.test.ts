// RFC 3339 §5.6 date-times: the forms releases, catalogs and proofs accept, and what they refuse.
import { describe, expect, it } from 'vitest'

import { isRfc3339, isRfc3339Utc } from '../../src/rfc3339.js'

describe('isRfc3339', () => {
  it.each([
    ['2026-12-03T18:00:00Z', true, true],
    ['2026-12-03T18:00:00.123Z', true, true],
    ['2026-12-03t18:00:00z', true, true],
    ['2026-12-03T18:00:00+01:00', true, false],
    ['2026-12-31T23:59:60Z', true, true],
    ['2024-02-29T00:00:00Z', true, true],
    ['2026-02-29T00:00:00Z', false, false],
    ['2026-13-01T00:00:00Z', false, false],
    ['2026-12-03T24:00:00Z', false, false],
    ['2026-12-03T18:00:00', false, false],
    ['2026-12-03 18:00:00Z', false, false],
    ['2026-12-03T18:00:00+1:00', false, false],
    ['2026', false, false],
    ['yesterday', false, false],
  ])('%s: any offset %s, UTC %s', (value, any, utc) => {
    expect(isRfc3339(value)).toBe(any)
    expect(isRfc3339Utc(value)).toBe(utc)
  })
})
