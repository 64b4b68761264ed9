// Finds Umbrel apps under a directory (one app, or a store checkout with one folder per app) and
// reads each app's umbrel-app.yml and docker-compose.yml. Compose's `<<` merge keys and anchors
// are resolved, as Docker Compose resolves them; scripts next to them are never read.
import type { Dirent } from 'node:fs'
import { lstat, readFile, readdir, readlink, realpath, stat } from 'node:fs/promises'
import path from 'node:path'

import { parseDocument } from 'yaml'

import { ValidationError, describeError } from '../../errors.js'

export const APP_FILE = 'umbrel-app.yml'
export const COMPOSE_FILE = 'docker-compose.yml'
export const EXPORTS_FILE = 'exports.sh'
/** A community app store's own file, next to its app folders. */
export const STORE_FILE = 'umbrel-app-store.yml'

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

/** One folder of a store checkout: an app to read, or why it is refused or skipped unread. */
export interface AppFolder {
  directory: string
  /** Why the folder is refused without being read: it cannot be read, or it is a link. */
  refusal?: string
  /** Why the folder is no app (reported, never skipped silently). */
  skipped?: string
}

/**
 * The folders under `dir`: `dir` itself when it holds umbrel-app.yml, else each child folder.
 * A child that is a symbolic link is never followed (it could lead anywhere on the host), and
 * one that cannot be read is refused; a folder without umbrel-app.yml, such as a nested
 * community store, is reported as skipped.
 */
export async function findAppDirectories(dir: string): Promise<AppFolder[]> {
  const found = await stat(dir).catch((error: NodeJS.ErrnoException) => error)
  if (found instanceof Error) {
    const link = await readlink(dir).catch(() => undefined)
    if (found.code === 'ENOENT' && link !== undefined) {
      throw new ValidationError(dir, `is a symbolic link to ${link}, which does not exist`)
    }
    if (found.code === 'ENOENT') throw new ValidationError(dir, 'does not exist')
    throw new ValidationError(dir, `cannot be read (${found.code ?? found.message})`)
  }
  if (!found.isDirectory()) throw new ValidationError(dir, 'is not a directory of Umbrel apps')
  if (await exists(path.join(dir, APP_FILE))) return [{ directory: dir }]
  const entries = (await readFolder(dir))
    .filter((entry) => !entry.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : 1))
  const folders: AppFolder[] = []
  for (const entry of entries) {
    const directory = path.join(dir, entry.name)
    if (entry.isSymbolicLink()) {
      const target = await readlink(directory)
      const isFolder = (await stat(directory).catch(() => undefined))?.isDirectory() ?? true
      const refusal = `is a symbolic link to ${target}; app folders that are links are not followed`
      if (isFolder) folders.push({ directory, refusal })
    } else if (entry.isDirectory()) folders.push(await judgeFolder(directory))
  }
  if (!folders.some((folder) => folder.skipped === undefined)) {
    throw new ValidationError(dir, `holds no ${APP_FILE}, nor any folder with one`)
  }
  return folders
}

async function judgeFolder(directory: string): Promise<AppFolder> {
  let names: string[]
  try {
    names = (await readFolder(directory)).map((entry) => entry.name)
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? describeError(error)
    return { directory, refusal: `cannot be read (${reason})` }
  }
  if (names.includes(APP_FILE)) return { directory }
  const skipped = names.includes(STORE_FILE)
    ? `is an app store of its own (${STORE_FILE}); its apps are not imported with this one: ` +
      `run archy app import umbrel ${directory}`
    : `holds no ${APP_FILE}`
  return { directory, skipped }
}

async function readFolder(dir: string): Promise<Dirent[]> {
  return await readdir(dir, { withFileTypes: true })
}

/** Reads one app folder; a missing or malformed file is a ValidationError naming it. */
export async function readUmbrelApp(directory: string): Promise<UmbrelApp> {
  const meta = await readYamlMap(directory, APP_FILE)
  const compose = await readYamlMap(directory, COMPOSE_FILE)
  if (!(await exists(path.join(directory, EXPORTS_FILE)))) return { directory, meta, compose }
  return { directory, meta, compose, exports: await readText(directory, EXPORTS_FILE) }
}

/** A file of the app; one that is a link is read only when it stays inside the app folder. */
async function readText(directory: string, name: string): Promise<string> {
  const file = path.join(directory, name)
  try {
    if ((await lstat(file).catch(() => undefined))?.isSymbolicLink()) {
      const target = await readlink(file)
      const real = await realpath(file).catch(() => undefined)
      if (real === undefined) {
        throw new ValidationError(file, `is a symbolic link to ${target}, which does not exist`)
      }
      const relative = path.relative(await realpath(directory), real)
      if (relative.startsWith('..') || path.isAbsolute(relative)) {
        const message = `is a symbolic link to ${target}, outside the app folder; it is not read`
        throw new ValidationError(file, message)
      }
    }
    const { size } = await stat(file)
    if (size > MAX_FILE_BYTES) throw new ValidationError(file, `is larger than 1 MiB (${size})`)
    return await readFile(file, 'utf8')
  } catch (error) {
    if (error instanceof ValidationError) throw error
    const reason = (error as NodeJS.ErrnoException).code ?? describeError(error)
    throw new ValidationError(file, `cannot be read (${reason})`, { cause: error })
  }
}

async function readYamlMap(directory: string, name: string): Promise<YamlMap> {
  const file = path.join(directory, name)
  const text = await readText(directory, name)
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

/** Whether anything (a dangling link too) is at `file`: reading it then says what is wrong. */
async function exists(file: string): Promise<boolean> {
  return (await lstat(file).catch(() => undefined)) !== undefined
}
