// Writes converted manifests as YAML under the output directory, one folder per app, each file
// opening with a comment naming where it came from. Manifests an earlier import wrote there and
// this one did not (a refused app, a service now left out) are removed; no other file is touched:
// an app whose target exists without the header (a publisher's own file) is refused, not written.
import { lstat, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises'
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
    if (app.status === 'skipped') continue
    if (app.status !== 'refused' && (await refuseConflicts(out, app))) continue
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

/**
 * Refuses an app (its status and a note per file) when a file it would write exists and is not
 * an earlier import's: not a regular file, or one that does not open with the header.
 */
async function refuseConflicts(out: string, app: AppImport): Promise<boolean> {
  const folder = path.join(out, app.appId)
  const kind = await lstat(folder).catch(() => undefined)
  if (kind && !kind.isDirectory()) {
    const message = `${folder} is a link or a file, not a folder an import made; it is left alone`
    app.refusals.push({ source: 'folder', key: app.appId, message })
    app.status = 'refused'
    app.manifests = []
    return true
  }
  const conflicts: string[] = []
  for (const manifest of app.manifests) {
    const target = path.join(out, manifest.file)
    const found = await lstat(target).catch(() => undefined)
    if (!found) continue
    const text = found.isFile() ? await readFile(target, 'utf8').catch(() => '') : ''
    if (!text.startsWith(HEADER)) conflicts.push(manifest.file)
  }
  for (const file of conflicts) {
    const message =
      `${path.join(out, file)} exists and was not written by an import (it does not open with ` +
      `"${HEADER.trim()}"); it is left alone: move it away or choose another --out`
    app.refusals.push({ source: file, key: 'file', message })
  }
  if (conflicts.length === 0) return false
  app.status = 'refused'
  app.manifests = []
  return true
}

/** Removes `*.yml` files in an app's folder that carry the import header and are not kept. */
async function removeStaleManifests(folder: string, keep: string[]): Promise<void> {
  // A link in the folder's place leads elsewhere: nothing there is the import's to remove.
  if (!(await lstat(folder).catch(() => undefined))?.isDirectory()) return
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => [])
  for (const entry of entries) {
    const file = path.join(folder, entry.name)
    if (!entry.isFile() || !entry.name.endsWith('.yml') || keep.includes(file)) continue
    const text = await readFile(file, 'utf8').catch(() => '')
    if (text.startsWith(HEADER)) await rm(file, { force: true })
  }
}
