// Tests for systemd value escaping and the Podman version table used by the Quadlet renderer.
import { describe, expect, it } from 'vitest'

import { ValidationError } from '../../src/errors.js'
import { quoteWord, renderRawValue, renderWords } from '../../node-agent/quadlet-syntax.js'
import { parsePodmanVersion, supportsKey } from '../../node-agent/quadlet-versions.js'

describe('quoteWord', () => {
  it.each([
    ['plain', 'plain'],
    ['KEY=a=b', 'KEY=a=b'],
    ['', '""'],
    [';', '";"'],
    ['two words', '"two words"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["it's", '"it\'s"'],
    ['back\\slash', '"back\\\\slash"'],
    ['line\nbreak\ttab', '"line\\nbreak\\ttab"'],
    ['bell\x07esc\x1b', '"bell\\aesc\\x1b"'],
    ['100%', '100%%'],
    ['$HOME and ${X}', '"$$HOME and $${X}"'],
    ['%h$', '%%h$$'],
  ])('writes %j as %s', (word, quoted) => {
    expect(quoteWord(word)).toBe(quoted)
  })

  it('joins words with spaces', () => {
    expect(renderWords(['podman', 'exec', 'app', 'sh', '-c', 'echo $X'])).toBe(
      'podman exec app sh -c "echo $$X"',
    )
  })
})

describe('renderRawValue', () => {
  it('escapes specifiers and variables only', () => {
    expect(renderRawValue('Volume', '/srv/a b%/$x:/data')).toBe('/srv/a b%%/$$x:/data')
  })

  it.each([
    ['a\nb', 'holds a control character'],
    [' lead', 'starts or ends with whitespace'],
    ['"quoted"', 'starts or ends with a double quote'],
    ['trail\\', 'ends with a backslash'],
  ])('refuses %j: %s', (value, problem) => {
    expect(() => renderRawValue('Image', value)).toThrow(ValidationError)
    expect(() => renderRawValue('Image', value)).toThrow(
      `Image: ${JSON.stringify(value)} ${problem}`,
    )
  })
})

describe('parsePodmanVersion', () => {
  it.each([
    ['5.4', [5, 4, 0]],
    ['4.4.1', [4, 4, 1]],
    ['v5.2.0-rc1', [5, 2, 0]],
    ['5.4.2+ds1', [5, 4, 2]],
  ])('parses %s', (text, version) => {
    expect(parsePodmanVersion(text)).toEqual(version)
  })

  it.each([
    ['five', 'podmanVersion: "five" is not a Podman version such as 5.4'],
    ['5', 'podmanVersion: "5" is not a Podman version such as 5.4'],
    ['', 'podmanVersion: "" is not a Podman version such as 5.4'],
    ['4.3.1', 'podmanVersion: Quadlet needs Podman 4.4 or later, not 4.3.1'],
  ])('refuses %j', (text, message) => {
    expect(() => parsePodmanVersion(text)).toThrow(message)
  })

  it('gates keys by their first version', () => {
    expect(supportsKey([5, 1, 9], 'NetworkAlias')).toBe(false)
    expect(supportsKey([5, 2, 0], 'NetworkAlias')).toBe(true)
    expect(supportsKey([4, 4, 0], 'Secret')).toBe(false)
    expect(supportsKey([4, 5, 0], 'Secret')).toBe(true)
  })
})
