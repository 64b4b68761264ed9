// The data root an agent's state belongs to, recorded in `<state>/data-root`. Another root would
// start installed apps on empty directories, so while apps are installed the recorded root wins
// when none is given and a different one is refused (DESIGN.md §2: data is never swapped).
import { readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'

import { ArchyError } from '../src/errors.js'

/**
 * The data root to use: the recorded one unless nothing is installed yet, in which case the
 * requested (or default) root is recorded. `explicit` says whether the user asked for a root.
 */
export async function pinDataRoot(
  stateDir: string,
  requested: string,
  options: { explicit: boolean; hasInstalls: boolean },
): Promise<string> {
  const file = path.join(stateDir, 'data-root')
  const recorded = await readRecorded(file)
  if (recorded === requested) return recorded
  if (recorded !== undefined && options.hasInstalls) {
    if (!options.explicit) return recorded
    throw new ArchyError(
      'data-root-mismatch',
      `--data-root ${requested} differs from ${recorded}, where this agent's installed apps ` +
        `keep their data; use that root, or uninstall the apps first`,
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
