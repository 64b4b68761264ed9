// The registry's databases, damaged: opening one fails naming the file and how to recover,
// not with SQLite's bare "file is not a database".
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { openBlobIndex } from '../../registry/blob-index.js'
import { openRegistryStore } from '../../registry/store.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'registry-damage-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('a damaged registry database', () => {
  const opens: Array<[string, (file: string) => { close(): void }]> = [
    ['the registry store', openRegistryStore],
    ['the blob index', openBlobIndex],
  ]
  for (const [name, open] of opens) {
    it(`is refused naming the file and the way back (${name})`, async () => {
      const file = path.join(dir, 'registry.sqlite')
      await writeFile(file, 'x'.repeat(8192))
      expect(() => open(file)).toThrow(
        /registry\.sqlite: cannot be read \(file is not a database\); stop the registry node and restore/,
      )
    })
  }
})
