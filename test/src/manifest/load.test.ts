// Reading manifest text and files: YAML and JSON, and syntax errors that name source,
// line and column.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { ValidationError } from '../../../src/errors.js'
import { loadManifestFile, parseManifestText } from '../../../src/manifest/load.js'

describe('parseManifestText', () => {
  it('reads YAML and JSON alike', () => {
    const expected = { app: { id: 'a', ports: [{ host: 18080 }] } }
    expect(parseManifestText('app:\n  id: a\n  ports:\n    - host: 18080\n', 'x.yml')).toEqual(
      expected,
    )
    expect(parseManifestText(JSON.stringify(expected), 'x.json')).toEqual(expected)
  })

  it('keeps version-like and octal-like strings as YAML 1.2 reads them', () => {
    expect(parseManifestText('v: 1.10\nm: "0755"\nn: 0755\n', 'x')).toEqual({
      v: 1.1,
      m: '0755',
      n: 755,
    })
  })

  it.each([
    [
      'a bad indent',
      'app:\n  id: [a\n',
      'x.yml: YAML syntax error at line 3, column 1: Flow sequence in block ' +
        'collection must be sufficiently indented and end with a ]',
    ],
    [
      'a nested compact mapping',
      'a: b: c\n',
      'x.yml: YAML syntax error at line 1, column 4: Nested mappings are not ' +
        'allowed in compact mappings',
    ],
    [
      'a repeated key',
      'app:\n  id: a\n  id: b\n',
      'x.yml: YAML syntax error at line 3, column 3: Map keys must be unique',
    ],
  ])('turns %s into a ValidationError naming the line and column', (_name, text, message) => {
    expect(() => parseManifestText(text, 'x.yml')).toThrow(ValidationError)
    expect(() => parseManifestText(text, 'x.yml')).toThrow(message)
  })
})

describe('loadManifestFile', () => {
  let dir = ''
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'archy-manifest-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('reads a file', async () => {
    const path = join(dir, 'manifest.yml')
    await writeFile(path, 'app:\n  id: hello\n')
    expect(await loadManifestFile(path)).toEqual({ app: { id: 'hello' } })
  })

  it('names a file it cannot read', async () => {
    const path = join(dir, 'missing.yml')
    await expect(loadManifestFile(path)).rejects.toThrow(
      `${path}: cannot read the manifest (ENOENT)`,
    )
  })
})

describe('manifest size limit', () => {
  it('refuses a file over 256 KiB before parsing it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'archy-big-'))
    const path = join(dir, 'big.yml')
    await writeFile(path, 'app:\n  environment:\n' + '    - A=b\n'.repeat(40_000))
    await expect(loadManifestFile(path)).rejects.toThrow(
      /big.yml: is \d+ bytes; a manifest is at most 256 KiB/,
    )
  })
})
