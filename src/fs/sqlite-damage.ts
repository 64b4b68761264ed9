// A SQLite file that cannot be read (damaged pages, or not a database at all) is reported naming
// the file and the way back, instead of SQLite's bare "database disk image is malformed".
import { ArchyError } from '../errors.js'

/** True for SQLite's damage codes (SQLITE_CORRUPT and its extended forms, SQLITE_NOTADB). */
export function isSqliteDamage(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code
  return typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(code)
}

/** Runs `open` (opening `file` and its first reads); damage becomes an error naming `file`. */
export function openSqlite<T>(file: string, recovery: string, open: () => T): T {
  try {
    return open()
  } catch (error) {
    if (!isSqliteDamage(error)) throw error
    const reason = error instanceof Error ? error.message : String(error)
    throw new ArchyError('database-damaged', `${file}: cannot be read (${reason}); ${recovery}`, {
      cause: error,
    })
  }
}
