// Writes converted manifests as YAML under the output directory, one folder per app, each file
// opening with a comment naming where it came from. A refused app gets no folder.
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'

import { stringify } from 'yaml'

import { ValidationError } from '../../errors.js'
import { describeFsError, makeDirectory } from '../../fs/make-directory.js'
import type { AppImport } from './report.js'

/** Writes every converted app's manifests; returns the paths written. */
export async function writeImportedApps(out: string, apps: AppImport[]): Promise<string[]> {
  await makeDirectory(out, { field: '--out' })
  const written: string[] = []
  for (const app of apps) {
    for (const manifest of app.manifests) {
      const target = path.join(out, manifest.file)
      const header =
        `# Imported from the Umbrel app ${app.umbrelId} (umbrel-app.yml and ` +
        'docker-compose.yml)\n# by `archy app import umbrel`; its report lists what was left out.\n'
      const text = header + stringify(manifest.document, { lineWidth: 0 })
      try {
        await mkdir(path.dirname(target), { recursive: true })
        await writeFile(target, text)
      } catch (error) {
        const reason = describeFsError(error)
        throw new ValidationError('--out', `cannot write ${target}: ${reason}`, { cause: error })
      }
      written.push(target)
    }
  }
  return written
}
