// The blob store on disk: content-addressed files written atomically, and temp files of uploads
// a crash cut off removed when the store opens again.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterEach, describe, expect, it } from 'vitest'

import { openBlobStore } from '../../registry/blob-store.js'
import { digestBytes } from '../../src/digest/blake3.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function tempRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'archy-blob-store-'))
  dirs.push(dir)
  return dir
}

describe('openBlobStore', () => {
  it('removes temp files an interrupted upload left, and keeps stored blobs', async () => {
    const root = tempRoot()
    const first = await openBlobStore(root)
    const bytes = Buffer.from('kept')
    const { blake3 } = await first.write([bytes])
    mkdirSync(join(root, '.tmp'), { recursive: true })
    writeFileSync(join(root, '.tmp', 'upload-cut-off'), Buffer.alloc(4096))

    const second = await openBlobStore(root)
    expect(readdirSync(join(root, '.tmp'))).toEqual([])
    expect(await second.sizeOf(blake3)).toBe(bytes.length)
    expect(blake3).toBe((await digestBytes(bytes)).blake3)
  })
})
