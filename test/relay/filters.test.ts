// Filter validation (every rule, with the exact message) and live matching, table-driven.
import { describe, expect, it } from 'vitest'
import type { NostrEvent } from 'nostr-tools/pure'
import { ValidationError } from '../../src/errors.js'
import { matchFilter, matchFilters, parseFilters } from '../../relay/filters.js'

const HEX_A = 'a'.repeat(64)
const HEX_B = 'b'.repeat(64)

describe('parseFilters', () => {
  it.each([
    ['an array', [], 'filters[0]: must be a JSON object'],
    ['null', null, 'filters[0]: must be a JSON object'],
    ['ids as a string', { ids: HEX_A }, 'filters[0].ids: must be an array'],
    [
      'an uppercase id',
      { ids: [HEX_A.toUpperCase()] },
      'filters[0].ids[0]: must be 64 lowercase hex characters',
    ],
    ['an id prefix', { ids: ['abcd'] }, 'filters[0].ids[0]: must be 64 lowercase hex characters'],
    [
      'a short author',
      { authors: [HEX_A, 'ab'] },
      'filters[0].authors[1]: must be 64 lowercase hex characters',
    ],
    [
      'a fractional kind',
      { kinds: [1.5] },
      'filters[0].kinds[0]: must be an integer from 0 to 65535',
    ],
    [
      'a kind above 65535',
      { kinds: [65536] },
      'filters[0].kinds[0]: must be an integer from 0 to 65535',
    ],
    ['a negative kind', { kinds: [-1] }, 'filters[0].kinds[0]: must be an integer from 0 to 65535'],
    [
      'a kind as a string',
      { kinds: ['1'] },
      'filters[0].kinds[0]: must be an integer from 0 to 65535',
    ],
    ['a tag value number', { '#t': [1] }, 'filters[0].#t[0]: must be a string'],
    ['tag values as a string', { '#t': 'x' }, 'filters[0].#t: must be an array'],
    ['a non-hex #e', { '#e': ['note1'] }, 'filters[0].#e[0]: must be 64 lowercase hex characters'],
    ['a non-hex #p', { '#p': ['npub1'] }, 'filters[0].#p[0]: must be 64 lowercase hex characters'],
    [
      'a long tag name',
      { '#tag': ['x'] },
      'filters[0].#tag: only single-letter tags (#a-z, #A-Z) can be filtered',
    ],
    [
      'a digit tag name',
      { '#1': ['x'] },
      'filters[0].#1: only single-letter tags (#a-z, #A-Z) can be filtered',
    ],
    ['a search that is no string', { search: 5 }, 'filters[0].search: must be a string'],
    ['a negative since', { since: -1 }, 'filters[0].since: must be a non-negative integer'],
    ['a fractional until', { until: 1.5 }, 'filters[0].until: must be a non-negative integer'],
    ['until as a string', { until: '10' }, 'filters[0].until: must be a non-negative integer'],
    ['a negative limit', { limit: -1 }, 'filters[0].limit: must be a non-negative integer'],
    ['a null limit', { limit: null }, 'filters[0].limit: must be a non-negative integer'],
  ])('refuses %s', (_name, filter, message) => {
    const parse = (): unknown => parseFilters([filter])
    expect(parse).toThrow(ValidationError)
    expect(parse).toThrow(message)
  })

  it('names the index of the filter at fault', () => {
    expect(() => parseFilters([{}, { kinds: 'x' }])).toThrow('filters[1].kinds: must be an array')
  })

  it('accepts every field at its bounds', () => {
    const [filter] = parseFilters([
      {
        ids: [HEX_A],
        authors: [HEX_B],
        kinds: [0, 65535],
        '#t': ['x'],
        '#T': ['X'],
        '#p': [HEX_A],
        since: 0,
        until: 0,
        limit: 0,
      },
    ])
    expect(filter).toEqual({
      ids: new Set([HEX_A]),
      authors: new Set([HEX_B]),
      kinds: new Set([0, 65535]),
      tags: [
        { name: 't', values: new Set(['x']) },
        { name: 'T', values: new Set(['X']) },
        { name: 'p', values: new Set([HEX_A]) },
      ],
      since: 0,
      until: 0,
      limit: 0,
    })
  })

  it.each([
    [{ limit: 1000 }, 500, 500],
    [{ limit: 3 }, 500, 3],
    [{}, 500, 500],
    [{}, undefined, undefined],
    [{ limit: 1000 }, undefined, 1000],
  ])('turns %j with maxLimit %s into limit %s', (filter, maxLimit, limit) => {
    expect(parseFilters([filter], { maxLimit })[0]?.limit).toBe(limit)
  })
})

describe('matchFilter', () => {
  const event: NostrEvent = {
    id: HEX_A,
    pubkey: HEX_B,
    created_at: 100,
    kind: 1,
    tags: [
      ['t', 'first', 'second'],
      ['p', HEX_A],
    ],
    content: '',
    sig: 'c'.repeat(128),
  }

  it.each([
    [{}, true],
    [{ ids: [HEX_A] }, true],
    [{ ids: [HEX_B] }, false],
    [{ ids: [] }, false],
    [{ authors: [HEX_B] }, true],
    [{ authors: [HEX_A] }, false],
    [{ kinds: [0, 1] }, true],
    [{ kinds: [2] }, false],
    [{ since: 100 }, true],
    [{ since: 101 }, false],
    [{ until: 100 }, true],
    [{ until: 99 }, false],
    [{ '#t': ['first'] }, true],
    [{ '#t': ['second'] }, false],
    [{ '#T': ['first'] }, false],
    [{ '#p': [HEX_A], '#t': ['first'] }, true],
    [{ '#p': [HEX_A], '#t': ['other'] }, false],
    [{ kinds: [1], authors: [HEX_A] }, false],
  ])('matches %j: %s', (filter, expected) => {
    const [parsed] = parseFilters([filter])
    expect(parsed && matchFilter(parsed, event)).toBe(expected)
  })

  it('matches when any of several filters matches', () => {
    expect(matchFilters(parseFilters([{ kinds: [2] }, { kinds: [1] }]), event)).toBe(true)
    expect(matchFilters(parseFilters([{ kinds: [2] }, { kinds: [3] }]), event)).toBe(false)
  })
})
