// makeDirectory: parents made one level at a time, and every refusal named by its setting with
// the reason: a file in the way, a kernel pseudo-file system (promptly: /proc never loops).
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { describeFsError, makeDirectory } from '../../../src/fs/make-directory.js'

const root = mkdtempSync(join(tmpdir(), 'archy-mkdir-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const file = join(root, 'file')
writeFileSync(file, '')

describe('makeDirectory', () => {
  it('makes missing parents with the mode, and accepts an existing directory', async () => {
    const target = join(root, 'a', 'b', 'c')
    await makeDirectory(target, { field: 'data', mode: 0o700 })
    expect(statSync(target).isDirectory()).toBe(true)
    expect(statSync(join(root, 'a')).mode & 0o777).toBe(0o700)
    await makeDirectory(target, { field: 'data' })
  })

  it.each<[string, string, string]>([
    [file, '--out', `--out: ${file} exists and is not a directory`],
    [
      join(file, 'sub'),
      'data',
      `data: cannot create ${join(file, 'sub')}: ${file} exists and is not a directory`,
    ],
    [
      '/proc/archy-nope/deeper',
      'data',
      'data: cannot create /proc/archy-nope/deeper: /proc is on proc, a kernel pseudo-file ' +
        'system, not storage',
    ],
    ['/proc', 'data', 'data: /proc is on proc, a kernel pseudo-file system, not storage'],
    [
      '/sys/archy-nope',
      'data',
      'data: cannot create /sys/archy-nope: /sys is on sysfs, a kernel pseudo-file system, ' +
        'not storage',
    ],
  ])('refuses %s naming %s and the reason', { timeout: 2000 }, async (target, field, message) => {
    await expect(makeDirectory(target, { field })).rejects.toThrow(
      expect.objectContaining({ code: 'invalid', path: field, message }),
    )
  })

  it.skipIf(process.getuid?.() === 0)('refuses a parent it cannot write', async () => {
    const locked = join(root, 'locked')
    mkdirSync(locked, { mode: 0o500 })
    await expect(makeDirectory(join(locked, 'x'), { field: 'data' })).rejects.toThrow(
      `data: cannot create ${join(locked, 'x')}: ${locked} is not writable by this user`,
    )
  })
})

describe('describeFsError', () => {
  it.each<[unknown, string]>([
    [
      Object.assign(new Error('EACCES: permission denied, mkdir'), { code: 'EACCES' }),
      'permission denied',
    ],
    [Object.assign(new Error('EROFS: x'), { code: 'EROFS' }), 'the file system is read-only'],
    [Object.assign(new Error('EWHAT: x'), { code: 'EWHAT' }), 'the system refused it (EWHAT)'],
  ])('reads %o as %j', (error, reason) => {
    expect(describeFsError(error)).toBe(reason)
  })
})
