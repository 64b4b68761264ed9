// makeDirectory: parents made one level at a time, and every refusal named by its setting with
// the reason: a file in the way, a kernel pseudo-file system (promptly: /proc never loops).
import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { describeFsError, makeDirectory } from '../../../src/fs/make-directory.js'
import { repoRoot } from '../../support/podman-user.js'

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

  it('refuses a parent it cannot write', async () => {
    const place = mkdtempSync(join(tmpdir(), 'archy-mkdir-locked-'))
    chmodSync(place, 0o755)
    const locked = join(place, 'locked')
    mkdirSync(locked, { mode: 0o555 })
    const target = join(locked, 'x')
    const expected = `data: cannot create ${target}: ${locked} is not writable by this user`
    try {
      if (process.getuid?.() !== 0) {
        await expect(makeDirectory(target, { field: 'data' })).rejects.toThrow(expected)
        return
      }
      // Root may write anywhere, so an unprivileged uid asks, with a copy of the built module.
      expect(readUnprivileged(place, target)).toBe(expected)
    } finally {
      rmSync(place, { recursive: true, force: true })
    }
  })
})

/** What makeDirectory(target) says when uid 65534 (nobody) runs it; needs `npm run build`. */
function readUnprivileged(place: string, target: string): string {
  const built = join(repoRoot, 'dist/src')
  if (!existsSync(join(built, 'fs/make-directory.js'))) {
    throw new Error(`${built}/fs/make-directory.js is missing: run npm run build`)
  }
  cpSync(built, join(place, 'dist'), { recursive: true })
  const script =
    `import(${JSON.stringify(join(place, 'dist/fs/make-directory.js'))})` +
    `.then((m) => m.makeDirectory(process.env.TARGET, { field: 'data' }))` +
    `.then(() => console.log('made'), (error) => console.log(error.message))`
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    uid: 65534,
    gid: 65534,
    cwd: '/',
    env: { TARGET: target },
    encoding: 'utf8',
  })
  return (child.stdout || child.stderr).trim()
}

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
