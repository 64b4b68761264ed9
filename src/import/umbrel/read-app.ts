// Finds Umbrel apps under a directory (one app, or a store checkout with one folder per app) and
// reads each app's umbrel-app.yml and docker-compose.yml. Compose's `<<` merge keys and anchors
// are resolved, as Docker Compose resolves them; scripts next to them are never read.
import { readFile, readdir, stat } from 'node:fs/promises'
import path from 'node:path'

import { parseDocument } from 'yaml'

import { ValidationError, describeError } from '../../errors.js'

export const APP_FILE = 'umbrel-app.yml'
export const COMPOSE_FILE = 'docker-compose.yml'
export const EXPORTS_FILE = 'exports.sh'

/** Compose files of real apps are a few KiB; anything far larger is not an app definition. */
const MAX_FILE_BYTES = 1024 * 1024

export type YamlMap = Record<string, unknown>

export interface UmbrelApp {
  directory: string
  /** umbrel-app.yml as parsed. */
  meta: YamlMap
  /** docker-compose.yml as parsed (merge keys applied). */
  compose: YamlMap
  /** exports.sh as text, when the app has one (it is read, never run). */
  exports?: string
}

/** The app folders under `dir`: `dir` itself when it holds umbrel-app.yml, else its children. */
export async function findAppDirectories(dir: string): Promise<string[]> {
  const found = await stat(dir).catch(() => undefined)
  if (!found) throw new ValidationError(dir, 'does not exist')
  if (!found.isDirectory()) throw new ValidationError(dir, 'is not a directory of Umbrel apps')
  if (await isFile(path.join(dir, APP_FILE))) return [dir]
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => path.join(dir, entry.name))
    .sort()
  const apps: string[] = []
  for (const entry of entries) if (await isFile(path.join(entry, APP_FILE))) apps.push(entry)
  if (apps.length === 0) {
    throw new ValidationError(dir, `holds no ${APP_FILE}, nor any folder with one`)
  }
  return apps
}

/** Reads one app folder; a missing or malformed file is a ValidationError naming it. */
export async function readUmbrelApp(directory: string): Promise<UmbrelApp> {
  const meta = await readYamlMap(path.join(directory, APP_FILE))
  const compose = await readYamlMap(path.join(directory, COMPOSE_FILE))
  const exportsFile = path.join(directory, EXPORTS_FILE)
  if (!(await isFile(exportsFile))) return { directory, meta, compose }
  return { directory, meta, compose, exports: await readText(exportsFile) }
}

async function readText(file: string): Promise<string> {
  try {
    const { size } = await stat(file)
    if (size > MAX_FILE_BYTES) throw new ValidationError(file, `is larger than 1 MiB (${size})`)
    return await readFile(file, 'utf8')
  } catch (error) {
    if (error instanceof ValidationError) throw error
    const reason = (error as NodeJS.ErrnoException).code ?? describeError(error)
    throw new ValidationError(file, `cannot be read (${reason})`, { cause: error })
  }
}

async function readYamlMap(file: string): Promise<YamlMap> {
  const text = await readText(file)
  const document = parseDocument(text, { merge: true, uniqueKeys: true })
  const [first] = document.errors
  if (first) {
    const position = first.linePos?.[0]
    const where = position ? ` at line ${position.line}, column ${position.col}` : ''
    const reason = first.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')
    throw new ValidationError(file, `YAML syntax error${where}: ${reason}`, { cause: first })
  }
  const value = document.toJS({ maxAliasCount: 100 }) as unknown
  if (!isYamlMap(value)) throw new ValidationError(file, 'is not a YAML mapping')
  return value
}

export function isYamlMap(value: unknown): value is YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() ?? false
}
