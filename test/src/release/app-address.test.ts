// App addresses: a bare id, or `id@<publisher did>`.
import { describe, expect, it } from 'vitest'

import { formatAppAddress, parseAppAddress } from '../../../src/release/app-address.js'
import { makeKeys } from '../../support/release-fixtures.js'

describe('parseAppAddress', () => {
  const did = makeKeys().ed25519.did

  it('reads a bare id and an id with its publisher', () => {
    expect(parseAppAddress('photo-vault')).toEqual({ id: 'photo-vault' })
    expect(parseAppAddress(formatAppAddress('photo-vault', did))).toEqual({
      id: 'photo-vault',
      did,
    })
  })

  it.each([
    ['Photo', /app: "Photo" is not a lowercase kebab-case DNS label/],
    ['a--b', /is not a lowercase kebab-case DNS label/],
    [
      'photo@did:web:example.org',
      /app: "did:web:example.org" after "@" is not a publisher's did:key/,
    ],
    ['photo@', /after "@" is not a publisher's did:key/],
  ])('refuses %s', (text, message) => {
    expect(() => parseAppAddress(text)).toThrow(message)
  })
})
