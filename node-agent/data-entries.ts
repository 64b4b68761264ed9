// Confined file operations inside an app's data directory: every path component below the real
// app directory is checked with lstat and a symlink is refused, since a container may have planted
// one there to make the agent (running as the host user) write outside. See DESIGN.md §2 and §5.
import { constants } from 'node:fs'
import { lstat, mkdir, open } from 'node:fs/promises'
import path from 'node:path'

import { ArchyError, ExecError, ValidationError } from '../src/errors.js'
import type { Exec, ExecResult } from './exec.js'

export type EntryKind = 'missing' | 'directory' | 'file' | 'symlink' | 'other'

export type WriteOutcome = 'created' | 'overwritten' | 'kept'

/** Where an entry lives: the real app directory it must stay in, and the manifest path to name. */
export interface Confinement {
  /** The real (symlink-free) `<data root>/<app id>`. */
  base: string
  /** The manifest path an error names, e.g. `hello-web: app.files[0].path`. */
  at: string
  /** For `podman unshare`, where the host user may not enter a directory the app owns. */
  exec: Exec
}

const UNSHARE_TIMEOUT_MS = 60_000

// Why an action runs through `podman unshare`, for its error message.
const AS_NAMESPACE_ROOT = "as root of the user namespace (the app's uid owns its directory)"

// Runs as root of the user namespace; `[ -L ]` first, since `[ -d ]` and `[ -f ]` follow links.
const KIND_SCRIPT =
  'if [ -L "$1" ]; then echo symlink; elif [ -d "$1" ]; then echo directory; ' +
  'elif [ -f "$1" ]; then echo file; elif [ -e "$1" ]; then echo other; else echo missing; fi'

const ENTRY_KINDS: readonly string[] = ['missing', 'directory', 'file', 'symlink', 'other']

/** What `target` is, without following a final symlink; asks the user namespace on EACCES. */
export async function inspectEntry(target: string, confinement: Confinement): Promise<EntryKind> {
  try {
    const info = await lstat(target)
    if (info.isSymbolicLink()) return 'symlink'
    if (info.isDirectory()) return 'directory'
    return info.isFile() ? 'file' : 'other'
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 'missing'
    if (!isPermissionError(error)) throw wrapFsError(`inspect ${target}`, confinement.at, error)
  }
  const result = await runUnshare(confinement.exec, ['sh', '-c', KIND_SCRIPT, 'sh', target], {
    at: confinement.at,
    action: `inspect ${target} ${AS_NAMESPACE_ROOT}`,
  })
  const kind = result.stdout.trim()
  if (!ENTRY_KINDS.includes(kind)) {
    throw new ArchyError(
      'io',
      `${confinement.at}: cannot inspect ${target} ${AS_NAMESPACE_ROOT}: ` +
        `podman unshare printed "${kind.slice(0, 40)}", not the kind of entry`,
    )
  }
  return kind as EntryKind
}

/** mkdir -p below `confinement.base`, refusing symlinks; returns the directories it made. */
export async function makeConfinedDirectory(
  dir: string,
  confinement: Confinement,
): Promise<string[]> {
  const made: string[] = []
  let current = confinement.base
  for (const part of listComponents(dir, confinement)) {
    current = path.join(current, part)
    const kind = await inspectEntry(current, confinement)
    if (kind === 'directory') continue
    if (kind !== 'missing') throw refuse(current, kind, 'a directory', confinement.at)

    // Every component above was checked just now, so the parent is a real directory.
    try {
      await mkdir(current, { mode: 0o755 })
    } catch (error) {
      const action = `create the directory ${current}`
      if (!isPermissionError(error)) throw wrapFsError(action, confinement.at, error)
      await runUnshare(confinement.exec, ['mkdir', '-m', '0755', '--', current], {
        at: confinement.at,
        action: `${action} ${AS_NAMESPACE_ROOT}`,
      })
    }
    made.push(current)
  }
  return made
}

/**
 * Writes a file below `confinement.base` (its directory must exist and have been checked):
 * O_NOFOLLOW always, O_EXCL unless `overwrite`, so an existing file is kept and a symlink is
 * never followed. The mode is applied to what is written.
 */
export async function writeConfinedFile(
  target: string,
  file: { content: string; mode: number; overwrite: boolean },
  confinement: Confinement,
): Promise<WriteOutcome> {
  listComponents(target, confinement)
  const kind = await inspectEntry(target, confinement)
  if (kind === 'file' && !file.overwrite) return 'kept'
  if (kind !== 'file' && kind !== 'missing') {
    throw refuse(target, kind, 'a regular file', confinement.at)
  }
  const outcome = kind === 'file' ? 'overwritten' : 'created'

  const flags =
    constants.O_WRONLY |
    constants.O_CREAT |
    constants.O_NOFOLLOW |
    (file.overwrite ? constants.O_TRUNC : constants.O_EXCL)
  try {
    const handle = await open(target, flags, file.mode)
    try {
      await handle.writeFile(file.content)
      await handle.chmod(file.mode)
    } finally {
      await handle.close()
    }
    return outcome
  } catch (error) {
    if (errorCode(error) === 'ELOOP') throw refuse(target, 'symlink', '', confinement.at)
    if (errorCode(error) === 'EEXIST') return 'kept'
    if (!isPermissionError(error)) throw wrapFsError(`write ${target}`, confinement.at, error)
  }

  // The directory belongs to the app's uid: write as the namespace's root, with the same flags
  // (GNU dd: oflag=nofollow, conv=excl is O_EXCL).
  const excl = file.overwrite ? '' : ' conv=excl'
  const script = `dd of="$1" oflag=nofollow${excl} status=none && chmod "$2" "$1"`
  const mode = file.mode.toString(8).padStart(4, '0')
  await runUnshare(confinement.exec, ['sh', '-c', script, 'sh', target, mode], {
    at: confinement.at,
    action: `write ${target} ${AS_NAMESPACE_ROOT}`,
    input: file.content,
  })
  return outcome
}

/** The components of `target` below the base; refuses a path that leaves it. */
function listComponents(target: string, confinement: Confinement): string[] {
  const relative = path.relative(confinement.base, target)
  if (!isInside(target, confinement.base)) {
    throw new ValidationError(confinement.at, `${target} is outside ${confinement.base}`)
  }
  return relative === '' ? [] : relative.split(path.sep)
}

function refuse(entry: string, kind: EntryKind, expected: string, at: string): ValidationError {
  if (kind === 'symlink') {
    return new ValidationError(
      at,
      `${entry} is a symlink; refusing to follow it out of the data directory`,
    )
  }
  return new ValidationError(at, `${entry} is not ${expected}; refusing to replace it`)
}

/**
 * Runs `podman unshare ARGS` as root of the user namespace, for entries the host user may not
 * touch because the app's uid owns them. A failure names the manifest path, the action and why.
 */
export async function runUnshare(
  exec: Exec,
  args: string[],
  what: { at: string; action: string; input?: string },
): Promise<ExecResult> {
  try {
    return await exec('podman', ['unshare', ...args], {
      cwd: '/',
      timeoutMs: UNSHARE_TIMEOUT_MS,
      ...(what.input !== undefined && { input: what.input }),
    })
  } catch (error) {
    throw new ArchyError(
      'io',
      `${what.at}: cannot ${what.action}: ${describeUnshareFailure(error)}`,
      { cause: error },
    )
  }
}

/** Why `podman unshare` failed, without its command line (a long script; it is in the cause). */
function describeUnshareFailure(error: unknown): string {
  if (!(error instanceof ExecError)) return (error as Error).message
  if (error.code === 'exec-missing') return 'podman was not found'
  if (error.code === 'exec-timeout') {
    return `podman unshare gave no answer within ${UNSHARE_TIMEOUT_MS / 1000} s`
  }
  const last = error.stderr.trim().split('\n').pop()
  return `podman unshare exited with ${error.exitCode ?? 'an error'}${last ? `: ${last}` : ''}`
}

/** A file system failure other than a refusal of the host user, naming the manifest path. */
function wrapFsError(action: string, at: string, error: unknown): ArchyError {
  const text = (error as Error).message
  // Node's text is `CODE: description, syscall 'path'`; the path is already in the action.
  const reason = /^([A-Z0-9]+: [^,]+),/.exec(text)?.[1] ?? text
  return new ArchyError('io', `${at}: cannot ${action}: ${reason}`, { cause: error })
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code
}

function isPermissionError(error: unknown): boolean {
  const code = errorCode(error)
  return code === 'EACCES' || code === 'EPERM'
}

/** Whether `child` is `parent` or below it, by name (links are the callers' concern). */
export function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child)
  if (relative === '') return true
  return relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative)
}
