// If-None-Match as RFC 9110 §13.1.2 reads it: `*`, a list of entity tags, and weak comparison.
import { describe, expect, it } from 'vitest'

import { matchesIfNoneMatch } from '../../registry/http-conditional.js'

const ETAG = '"abc"'

describe('matchesIfNoneMatch', () => {
  it.each<[string | undefined, boolean]>([
    [undefined, false],
    ['', false],
    ['*', true],
    [' * ', true],
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['"x","abc","y"', true],
    ['W/"x", W/"abc"', true],
    ['"a,b", "abc"', true],
    ['"abd"', false],
    ['"ab"', false],
    ['abc', false],
    ['"x", "y"', false],
    ['"a,b"', false],
    ['W/""', false],
  ])('reads %j as %s', (header, expected) => {
    expect(matchesIfNoneMatch(header, ETAG)).toBe(expected)
  })

  it('compares weakly when the current tag is itself weak', () => {
    expect(matchesIfNoneMatch('"abc"', 'W/"abc"')).toBe(true)
  })
})
