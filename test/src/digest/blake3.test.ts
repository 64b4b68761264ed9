// BLAKE3-256 and SHA-256 digests: the official BLAKE3 vectors, agreement with b3sum and
// sha256sum on a multi-chunk file, and the hex digest check.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { digestBytes, digestFile, isHexDigest } from '../../../src/digest/blake3.js'

const vectors = JSON.parse(
  readFileSync(new URL('../../vectors/blake3/hash.json', import.meta.url), 'utf8'),
) as { cases: { input_len: number; hash: string }[] }

function officialInput(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => i % 251)
}

describe('digestBytes', () => {
  it.each(vectors.cases)('matches the official BLAKE3 vector for $input_len bytes', async (c) => {
    const digests = await digestBytes(officialInput(c.input_len))
    expect(digests.blake3).toBe(c.hash)
    expect(digests.size).toBe(c.input_len)
  })

  it('gives the SHA-256 of the same bytes', async () => {
    const digests = await digestBytes(new TextEncoder().encode('abc'))
    expect(digests.sha256).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })
})

describe('digestFile', () => {
  it('agrees with b3sum and sha256sum on a multi-chunk file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'archy-digest-'))
    const path = join(dir, 'blob.bin')
    writeFileSync(path, officialInput(3 * 1024 * 1024 + 17))
    const digests = await digestFile(path)
    expect(digests.size).toBe(3 * 1024 * 1024 + 17)
    const sha = execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0]
    expect(digests.sha256).toBe(sha)
    let b3: string | undefined
    try {
      b3 = execFileSync('b3sum', ['--no-names', path], { encoding: 'utf8' }).trim()
    } catch {
      b3 = undefined
    }
    if (b3 === undefined && process.env.CI === 'true') throw new Error('b3sum is not installed')
    if (b3 !== undefined) expect(digests.blake3).toBe(b3)
  })
})

describe('isHexDigest', () => {
  it.each([
    ['a'.repeat(64), true],
    ['A'.repeat(64), false],
    ['a'.repeat(63), false],
    [42, false],
  ])('%s -> %s', (value, expected) => {
    expect(isHexDigest(value)).toBe(expected)
  })
})
