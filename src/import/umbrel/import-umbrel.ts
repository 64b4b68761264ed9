// `archy app import umbrel`: every Umbrel app under a directory as Archipelago manifests, with a
// report per app. Apps are planned together first, so that one app's reference to another's
// service (Umbrel's container names and static addresses) resolves to that service's app id.
import path from 'node:path'

import { checkAppId } from '../../manifest/formats.js'
import { ValidationError, describeError } from '../../errors.js'
import { readUmbrelId } from './app-meta.js'
import { planApp } from './app-plan.js'
import type { AppPlan } from './app-plan.js'
import { convertApp, findDataOwners } from './convert-app.js'
import { findAppDirectories, readUmbrelApp } from './read-app.js'
import { NoteSink } from './report.js'
import type { AppImport } from './report.js'
import { indexStore } from './umbrel-variables.js'

export interface ImportUmbrelOptions {
  /** Put before every app id (`umbrel-` makes `umbrel-immich`), so imports never claim an id. */
  idPrefix?: string
}

interface Entry {
  directory: string
  notes: NoteSink
  plan?: AppPlan
  fallbackId: string
  skipped: boolean
}

/** Converts the app in `dir`, or every app of a store checkout in `dir`. */
export async function importUmbrelApps(
  dir: string,
  options: ImportUmbrelOptions = {},
): Promise<AppImport[]> {
  const idPrefix = options.idPrefix ?? ''
  const folders = await findAppDirectories(dir)
  const entries: Entry[] = []
  for (const { directory, refusal, skipped } of folders) {
    const notes = new NoteSink()
    const fallbackId = path.basename(directory)
    if (refusal !== undefined || skipped !== undefined) {
      if (refusal !== undefined) notes.refuse('folder', fallbackId, refusal)
      else notes.leaveOut('folder', fallbackId, skipped!)
      entries.push({ directory, notes, fallbackId, skipped: skipped !== undefined })
      continue
    }
    try {
      const app = await readUmbrelApp(directory)
      const umbrelId = readUmbrelId(app.meta, notes)
      const plan = umbrelId === undefined ? undefined : planApp(app, umbrelId, idPrefix)
      entries.push({ directory, notes, plan, fallbackId, skipped: false })
    } catch (error) {
      // A file that cannot be read or parsed refuses its app; the report names the file.
      const file = error instanceof ValidationError ? error.path : directory
      const message = describeError(error).replace(`${file}: `, '')
      notes.refuse(path.basename(file), 'file', message)
      entries.push({ directory, notes, fallbackId, skipped: false })
    }
  }

  const plans = entries.flatMap((entry) => (entry.plan ? [entry.plan] : []))
  const index = indexStore(plans)
  // Which member owns each data path, so that an app mounts its dependency's data from there.
  for (const plan of plans) index.dataOwners.set(plan.umbrelId, findDataOwners(plan, index))
  return entries.map(({ directory, notes, plan, fallbackId, skipped }): AppImport => {
    const manifests = plan ? convertApp(plan, { index, idPrefix, notes }) : undefined
    const umbrelId = plan?.umbrelId ?? fallbackId
    return {
      umbrelId,
      appId: plan?.appId ?? idPrefix + umbrelId,
      directory,
      status: skipped ? 'skipped' : manifests ? 'converted' : 'refused',
      manifests: manifests ?? [],
      converted: notes.converted,
      leftOut: notes.leftOut,
      decisions: notes.decisions,
      refusals: notes.refusals,
    }
  })
}

/** An id prefix must keep every id a DNS label: lowercase letters, digits, inner hyphens. */
export function checkIdPrefix(prefix: string): string | undefined {
  if (prefix === '') return undefined
  if (checkAppId(`${prefix}x`) === undefined) return undefined
  return `"${prefix}" would not make app ids lowercase kebab-case DNS labels`
}
