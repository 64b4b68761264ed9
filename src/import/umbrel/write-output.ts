// Writes converted manifests as YAML under the output directory, one folder per app, each file
// opening with a comment naming where it came from. Manifests an earlier import wrote there and
// this one did not (a refused app, a service now left out) are removed; no other file is touched.
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'

import { stringify } from 'yaml'

import { ValidationError } from '../../errors.js'
import { describeFsError, makeDirectory } from '../../fs/make-directory.js'
import type { AppImport } from './report.js'

const HEADER = '# Imported from the Umbrel app '

/** Writes every converted app's manifests; returns the paths written. */
export async function writeImportedApps(out: string, apps: AppImport[]): Promise<string[]> {
  await makeDirectory(out, { field: '--out' })
  const written: string[] = []
  for (const app of apps) {
    const folder = path.join(out, app.appId)
    const files = app.manifests.map((manifest) => path.join(out, manifest.file))
    await removeStaleManifests(folder, files)
    for (const [index, manifest] of app.manifests.entries()) {
      const target = files[index]!
      const header =
        `${HEADER}${app.umbrelId} (umbrel-app.yml and docker-compose.yml)\n` +
        '# by `archy app import umbrel`; its report lists what was left out.\n'
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

/** Removes `*.yml` files in an app's folder that carry the import header and are not kept. */
async function removeStaleManifests(folder: string, keep: string[]): Promise<void> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => [])
  for (const entry of entries) {
    const file = path.join(folder, entry.name)
    if (!entry.isFile() || !entry.name.endsWith('.yml') || keep.includes(file)) continue
    const text = await readFile(file, 'utf8').catch(() => '')
    if (text.startsWith(HEADER)) await rm(file, { force: true })
  }
}
