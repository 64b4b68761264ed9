// Defensive readers of the raw, unvalidated `app` mapping, shared by the context rules and the
// set rules: a field of the wrong shape reads as absent, so the rules still run when it is broken.
import { isRecord } from './problems.js'

/** Raw list entries of a key, with their index; anything that is not a list yields nothing. */
export function readEntries(owner: unknown, key: string): [number, Record<string, unknown>][] {
  const list = isRecord(owner) ? owner[key] : undefined
  if (!Array.isArray(list)) return []
  return list.flatMap((item, index) => (isRecord(item) ? [[index, item]] : []))
}

/** A key's value when it is a string. */
export function readString(owner: unknown, key: string): string | undefined {
  const value = isRecord(owner) ? owner[key] : undefined
  return typeof value === 'string' ? value : undefined
}

/** The app ids of the app's declared dependencies. */
export function readDependencyIds(app: Record<string, unknown>): string[] {
  return readEntries(app, 'dependencies').flatMap(([, dep]) => readString(dep, 'app_id') ?? [])
}
