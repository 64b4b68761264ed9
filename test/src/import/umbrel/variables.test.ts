// Compose interpolation and command splitting, table-driven against the Compose specification's
// forms: `$NAME`, `${NAME}`, defaults with and without a colon, `:+`, `$$`, nested defaults.
import { describe, expect, it } from 'vitest'

import { findWholeSecret, interpolate } from '../../../../src/import/umbrel/variables.js'
import type { Resolver } from '../../../../src/import/umbrel/variables.js'
import { splitWords } from '../../../../src/import/umbrel/words.js'

const resolve: Resolver = (name) => {
  if (name === 'HOST') return { kind: 'text', value: 'bitcoin' }
  if (name === 'DOMAIN') return { kind: 'placeholder', value: '{{HOST_MDNS}}' }
  if (name === 'SEED') return { kind: 'secret', name: 'seed' }
  return undefined
}

describe('interpolate', () => {
  it.each([
    ['plain', 'plain', [], false],
    ['$HOST:8332', 'bitcoin:8332', [], false],
    ['${HOST}', 'bitcoin', [], false],
    ['$$HOME and $$$$', '$HOME and $$', [], false],
    ['${MISSING:-fallback}', 'fallback', [], false],
    ['${MISSING-fallback}', 'fallback', [], false],
    ['${HOST:-fallback}', 'bitcoin', [], false],
    ['${MISSING-${HOST}}', 'bitcoin', [], false],
    ['${HOST:+set}${MISSING:+never}', 'set', [], false],
    ['https://${DOMAIN}/', 'https://{{HOST_MDNS}}/', [], true],
    ['$MISSING/x', '${MISSING}/x', ['MISSING'], false],
    ['${A-${B}}', '${B}', ['B'], false],
    ['${MISSING:?needed}', '${MISSING}', ['MISSING'], false],
    ['a $ b', 'a $ b', [], false],
  ])('%s is %s', (value, text, unresolved, template) => {
    const result = interpolate(value, resolve)
    expect(result.text).toBe(text)
    expect(result.unresolved).toEqual(unresolved)
    expect(result.template).toBe(template)
  })

  it('names the secrets a value uses, and carries one only when it is the whole value', () => {
    expect(interpolate('x-$SEED', resolve).secrets).toEqual(['seed'])
    expect(findWholeSecret('$SEED', resolve)).toBe('seed')
    expect(findWholeSecret('${SEED}', resolve)).toBe('seed')
    expect(findWholeSecret('x$SEED', resolve)).toBeUndefined()
    expect(findWholeSecret('$HOST', resolve)).toBeUndefined()
  })
})

describe('splitWords', () => {
  it.each([
    ['npm run start', ['npm', 'run', 'start']],
    ["nginx -g 'daemon off;'", ['nginx', '-g', 'daemon off;']],
    ['a "b c" d\\ e', ['a', 'b c', 'd e']],
    ['say "a \\"quoted\\" word"', ['say', 'a "quoted" word']],
    ["''", ['']],
    ['  spaced   out  ', ['spaced', 'out']],
  ])('%s', (text, words) => {
    expect(splitWords(text)).toEqual(words)
  })

  it('refuses an unclosed quote', () => {
    expect(splitWords("echo 'open")).toBeUndefined()
  })
})
