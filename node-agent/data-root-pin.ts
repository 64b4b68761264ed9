// The data root an agent's state belongs to, recorded in `<state>/data-root`. Another root would
// start apps on empty directories, so while apps are installed or kept data remains there, the
// recorded root wins when none is given and another is refused (DESIGN.md §2: no data swapped).
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'

import { ArchyError } from '../src/errors.js'

/**
 * The data root to use: the recorded one while apps are installed or their kept data is still
 * under it; otherwise the requested (or default) root, which is recorded. `explicit` says
 * whether the user asked for a root.
 */
export async function pinDataRoot(
  stateDir: string,
  requested: string,
  options: { explicit: boolean; hasInstalls: boolean },
): Promise<string> {
  const file = path.join(stateDir, 'data-root')
  const recorded = await readRecorded(file)

  // A damaged record is never taken as a root, nor silently replaced while apps may use it.
  const problem = recorded === undefined ? undefined : checkRecorded(recorded)
  if (recorded !== undefined && problem !== undefined) {
    throw damagedRecord(file, recorded, problem, options.explicit ? requested : undefined)
  }
  if (recorded !== undefined && (options.hasInstalls || (await holdsData(recorded)))) {
    const missing = await checkDirectory(recorded)
    if (missing !== undefined) {
      const other = options.explicit && requested !== recorded ? requested : undefined
      throw damagedRecord(file, recorded, missing, other)
    }
    if (recorded === requested || !options.explicit) return recorded
    throw new ArchyError(
      'data-root-mismatch',
      `--data-root ${requested} differs from ${recorded}, where this agent's apps keep their ` +
        `data; use that root, or move the data and write the new root into ${file}`,
    )
  }

  if (recorded === requested) return recorded
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, requested + '\n', { mode: 0o600 })
  await rename(temporary, file)
  return requested
}

async function readRecorded(file: string): Promise<string | undefined> {
  try {
    const text = (await readFile(file, 'utf8')).trim()
    return text === '' ? undefined : text
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** Why a recorded value cannot be a data root, or undefined when its form is sound. */
function checkRecorded(value: string): string | undefined {
  if (value.includes('\0')) return 'it contains a NUL character'
  if (/[\r\n]/.test(value)) return 'it spans several lines'
  if (!path.isAbsolute(value)) return 'it is not an absolute path'
  return undefined
}

/**
 * Why a recorded root that apps use is not a directory, or undefined when it is one or is
 * missing: an install recorded before its first create has made no directory yet, and the
 * reconciler makes it then (refusing would leave even uninstall unusable).
 */
async function checkDirectory(root: string): Promise<string | undefined> {
  try {
    return (await stat(root)).isDirectory() ? undefined : 'it is not a directory'
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    return `it cannot be read (${code ?? String(error)})`
  }
}

function damagedRecord(
  file: string,
  value: string,
  problem: string,
  requested: string | undefined,
): ArchyError {
  const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value)
  const fix =
    `write the absolute path of the directory that holds the apps' data, on one line, into ` +
    `${file} (or remove that file if no app is installed); no container was touched`
  if (requested !== undefined) {
    return new ArchyError(
      'data-root-mismatch',
      `--data-root ${requested} differs from the data root recorded in ${file}, ${shown}, ` +
        `which is not a valid path: ${problem}; ${fix}`,
    )
  }
  return new ArchyError(
    'data-root-invalid',
    `${file}: the recorded data root ${shown} is not valid: ${problem}; ${fix}`,
  )
}

/** True when the root still holds an app's directory (data kept by uninstall). */
async function holdsData(root: string): Promise<boolean> {
  try {
    return (await readdir(root)).length > 0
  } catch {
    return false
  }
}
