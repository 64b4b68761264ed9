// Makes a directory a setting or flag names, one level at a time from its nearest existing
// ancestor, which must be a writable directory on a real file system, so errors name the setting.
import { constants } from 'node:fs'
import { access, mkdir, stat, statfs } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'

import { ValidationError } from '../errors.js'

export interface MakeDirectoryOptions {
  /** The setting or flag that named the directory (`data`, `--out`): every error starts with it. */
  field: string
  /** Mode of each directory created. */
  mode?: number
}

// Linux kernel pseudo-file systems (linux/magic.h) that hold no files of ours. A recursive
// mkdir under /proc never ends (every level answers ENOENT), so they are refused up front.
const PSEUDO_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x1cd1, 'devpts'],
  [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
  [0x62656570, 'configfs'],
  [0xf97cff8c, 'selinuxfs'],
  [0x19800202, 'mqueue'],
  [0x6e736673, 'nsfs'],
  [0x42494e4d, 'binfmt_misc'],
])

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many levels of symbolic links',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EEXIST: 'it already exists',
  ENOENT: 'no such file or directory',
  EIO: 'an input/output error',
}

/** Makes `target` and any missing parents; throws a ValidationError naming `field` and why. */
export async function makeDirectory(target: string, options: MakeDirectoryOptions): Promise<void> {
  const { field } = options
  const path = resolve(target)

  // Find the nearest existing ancestor; everything below it is to be made.
  const missing: string[] = []
  let existing = path
  let isDirectory: boolean
  for (;;) {
    try {
      isDirectory = (await stat(existing)).isDirectory()
      break
    } catch (error) {
      const code = errnoCode(error)
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(existing) === existing) {
        throw new ValidationError(field, `cannot use ${target}: ${describeFsError(error)}`, {
          cause: error,
        })
      }
      missing.unshift(existing)
      existing = dirname(existing)
    }
  }
  const cannot = missing.length === 0 ? `${target}` : `cannot create ${target}: ${existing}`
  if (!isDirectory) throw new ValidationError(field, `${cannot} exists and is not a directory`)
  const pseudo = await pseudoFileSystemOf(existing)
  if (pseudo !== undefined) {
    throw new ValidationError(
      field,
      `${cannot} is on ${pseudo}, a kernel pseudo-file system, not storage`,
    )
  }
  try {
    await access(existing, constants.W_OK | constants.X_OK)
  } catch {
    throw new ValidationError(field, `${cannot} is not writable by this user`)
  }

  for (const directory of missing) {
    try {
      await mkdir(directory, { mode: options.mode })
    } catch (error) {
      if (errnoCode(error) === 'EEXIST' && (await isDirectoryNow(directory))) continue
      const reason = describeFsError(error)
      throw new ValidationError(field, `cannot create ${directory}: ${reason}`, { cause: error })
    }
  }
}

/** A file-system error as a short phrase (`permission denied`), never a raw errno line. */
export function describeFsError(error: unknown): string {
  const code = errnoCode(error)
  if (code !== undefined && REASONS[code] !== undefined) return REASONS[code]!
  if (code !== undefined) return `the system refused it (${code})`
  return error instanceof Error ? error.message : String(error)
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code
}

async function pseudoFileSystemOf(directory: string): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined
  try {
    return PSEUDO_FILE_SYSTEMS.get(Number((await statfs(directory)).type))
  } catch {
    return undefined
  }
}

async function isDirectoryNow(directory: string): Promise<boolean> {
  try {
    return (await stat(directory)).isDirectory()
  } catch {
    return false
  }
}
