// Blossom upload authorization (BUD-02, BUD-11): the expiration tag's value, read as NIP-40 writes
// it, and the message that names what is wrong with it.
import { describe, expect, it } from 'vitest'

import { checkUploadAuthorization } from '../../registry/blossom-auth.js'
import { generateNostrKeys } from '../../src/identity/nostr-keys.js'
import { signNostrEvent } from '../../src/nostr/event.js'

const NOW = 1_800_000_000
const X = 'a'.repeat(64)
const uploader = generateNostrKeys()

/** The header for a kind 24242 upload event with these expiration tags. */
function header(expiration: string[][]): string {
  const tags = [['t', 'upload'], ['x', X], ...expiration]
  const event = signNostrEvent(
    { kind: 24242, created_at: NOW - 5, tags, content: 'Upload' },
    uploader.secretKey,
  )
  return 'Nostr ' + Buffer.from(JSON.stringify(event)).toString('base64')
}

describe('checkUploadAuthorization', () => {
  it('accepts an expiration in the future and returns the x digests', () => {
    const auth = checkUploadAuthorization(header([['expiration', String(NOW + 60)]]), { now: NOW })
    expect(auth.sha256).toEqual([X])
  })

  const NOT_SECONDS = 'authorization: expiration tag must be a Unix time in seconds'
  it.each<[string, string[][], string]>([
    ['no expiration tag', [], 'authorization: needs an expiration tag'],
    [
      'an expiration tag without a value',
      [['expiration']],
      'authorization: needs an expiration tag',
    ],
    ['a word', [['expiration', 'soon']], `${NOT_SECONDS}, got "soon"`],
    ['an empty value', [['expiration', '']], `${NOT_SECONDS}, got ""`],
    ['a fraction', [['expiration', `${NOW + 60}.5`]], `${NOT_SECONDS}, got "${NOW + 60}.5"`],
    ['exponent notation', [['expiration', '1.9e9']], `${NOT_SECONDS}, got "1.9e9"`],
    ['a negative number', [['expiration', '-1']], `${NOT_SECONDS}, got "-1"`],
    ['spaces around it', [['expiration', ` ${NOW + 60}`]], `${NOT_SECONDS}, got " ${NOW + 60}"`],
    [
      'a long value, shortened',
      [['expiration', 'x'.repeat(100)]],
      `${NOT_SECONDS}, got "${'x'.repeat(32)}..."`,
    ],
    ['a time in the past', [['expiration', String(NOW - 1)]], 'authorization: has expired'],
  ])('refuses %s naming the rule', (_name, expiration, message) => {
    expect(() => checkUploadAuthorization(header(expiration), { now: NOW })).toThrow(
      expect.objectContaining({ code: 'unauthorized', message }),
    )
  })
})
