// The data root an agent's state belongs to, recorded in `<state>/data-root`. Another root would
// start apps on empty directories, so while apps are installed or kept data remains there, the
// recorded root wins when none is given and another is refused (DESIGN.md §2: no data swapped).
import { readdir, readFile, rename, writeFile } from 'node:fs/promises'
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
  if (recorded === requested) return recorded
  if (recorded !== undefined && (options.hasInstalls || (await holdsData(recorded)))) {
    if (!options.explicit) return recorded
    throw new ArchyError(
      'data-root-mismatch',
      `--data-root ${requested} differs from ${recorded}, where this agent's apps keep their ` +
        `data; use that root, or move the data and write the new root into ${file}`,
    )
  }
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

/** True when the root still holds an app's directory (data kept by uninstall). */
async function holdsData(root: string): Promise<boolean> {
  try {
    return (await readdir(root)).length > 0
  } catch {
    return false
  }
}
