// Rules that relate several fields of one manifest: bind sources against the app's id and
// dependencies, files under bind mounts, duplicate ports, variables, secrets and aliases.
// They read the raw document defensively, so they still report when other fields are broken.
import { posix } from 'node:path'

import { checkAbsolutePath, checkAppId, checkMountPath, checkNotSocket } from './formats.js'
import { error, formatPath, isRecord } from './problems.js'
import type { ManifestProblem } from './problems.js'
import { readDependencyIds, readEntries, readString } from './raw-fields.js'
import { ARCHIPELAGO_DATA_PREFIX } from './types.js'

/** Every cross-field problem of one raw `app` mapping. */
export function checkContextRules(app: Record<string, unknown>): ManifestProblem[] {
  return [
    ...checkBindSources(app),
    ...checkFilePaths(app),
    ...checkPorts(app),
    ...checkVariables(app),
    ...checkDuplicates(app, 'generated_secrets', 'name', 'secret'),
    ...checkAliases(app),
    ...checkSelfDependency(app),
  ]
}

/** The app id whose data directory holds a path, or undefined when it is outside the prefix. */
function findDataOwner(path: string): string | undefined {
  const normalized = posix.normalize(path)
  if (!normalized.startsWith(ARCHIPELAGO_DATA_PREFIX + '/')) return undefined
  const owner = normalized.slice(ARCHIPELAGO_DATA_PREFIX.length + 1).split('/')[0]
  return owner || undefined
}

/** Bind sources that are well-formed paths (other problems are the schema's to report). */
function listBindMounts(app: Record<string, unknown>): [number, string, string[]][] {
  return readEntries(app, 'volumes').flatMap(([index, volume]) => {
    const source = readString(volume, 'source')
    if (volume.type !== 'bind' || source === undefined) return []
    if (checkMountPath(source) || checkNotSocket(source)) return []
    const options = Array.isArray(volume.options) ? volume.options.map(String) : []
    return [[index, source, options]]
  })
}

/** The app's id when it is valid: host paths can only be judged against a valid id. */
function readValidId(app: Record<string, unknown>): string | undefined {
  const id = readString(app, 'id')
  return id !== undefined && checkAppId(id) === undefined ? id : undefined
}

function checkBindSources(app: Record<string, unknown>): ManifestProblem[] {
  const id = readValidId(app)
  if (id === undefined) return []
  const dependencies = readDependencyIds(app)
  const problems: ManifestProblem[] = []
  for (const [index, source, options] of listBindMounts(app)) {
    const owner = findDataOwner(source)
    const path = ['app', 'volumes', index]
    if (owner === id) {
      if (options.includes('ro') && options.includes('rw')) {
        problems.push(error([...path, 'options'], 'options cannot hold both "ro" and "rw"'))
      }
    } else if (owner !== undefined && dependencies.includes(owner)) {
      if (!options.includes('ro') || options.includes('rw')) {
        const message =
          `host path "${source}" belongs to dependency ${owner} and must be mounted ` +
          'read-only (options must include "ro")'
        problems.push(error([...path, 'options'], message))
      }
    } else {
      const message =
        `host path "${source}" is refused: a bind source must be under ` +
        `${ARCHIPELAGO_DATA_PREFIX}/${id} (or, read-only, under the directory of a ` +
        'declared dependency)'
      problems.push(error([...path, 'source'], message))
    }
  }
  return problems
}

function checkFilePaths(app: Record<string, unknown>): ManifestProblem[] {
  const id = readValidId(app)
  if (id === undefined) return []
  const sources = listBindMounts(app)
    .map(([, source]) => posix.normalize(source).replace(/\/$/, ''))
    .filter((source) => findDataOwner(source) === id)
  const problems: ManifestProblem[] = []
  for (const [index, file] of readEntries(app, 'files')) {
    const path = readString(file, 'path')
    if (path === undefined || checkAbsolutePath(path)) continue
    if (sources.some((source) => path.startsWith(source + '/'))) continue
    const message = `"${path}" is not under the source of one of this app's own bind mounts`
    problems.push(error(['app', 'files', index, 'path'], message))
  }
  return problems
}

function checkPorts(app: Record<string, unknown>): ManifestProblem[] {
  const problems: ManifestProblem[] = []
  const seen = new Map<string, number>()
  for (const [index, port] of readEntries(app, 'ports')) {
    if (port.auth === 'open' && readString(port, 'auth_rationale') === undefined) {
      problems.push(error(['app', 'ports', index, 'auth'], 'auth "open" needs an auth_rationale'))
    }
    if (typeof port.host !== 'number') continue
    const binding = `${port.host}/${readString(port, 'protocol') ?? 'tcp'}`
    const first = seen.get(binding)
    if (first === undefined) seen.set(binding, index)
    else {
      const at = formatPath(['app', 'ports', first])
      const message = `host port ${binding} is already published by ${at}`
      problems.push(error(['app', 'ports', index, 'host'], message))
    }
  }
  return problems
}

/** One value per environment variable, whichever list sets it. */
function checkVariables(app: Record<string, unknown>): ManifestProblem[] {
  const problems: ManifestProblem[] = []
  const seen = new Map<string, string>()
  const lists: [unknown, string][] = [
    [app, 'environment'],
    [app.container, 'derived_env'],
    [app.container, 'secret_env'],
  ]
  for (const [owner, listKey] of lists) {
    const list = isRecord(owner) ? owner[listKey] : undefined
    if (!Array.isArray(list)) continue
    const parent = listKey === 'environment' ? ['app'] : ['app', 'container']
    list.forEach((item: unknown, index) => {
      const key = typeof item === 'string' ? item.split('=')[0] : readString(item, 'key')
      if (!key) return
      const path = formatPath([...parent, listKey, index, 'key'])
      const first = seen.get(key)
      if (first === undefined) seen.set(key, path)
      else problems.push({ severity: 'error', path, message: `${key} is already set at ${first}` })
    })
  }
  return problems
}

function checkDuplicates(
  app: Record<string, unknown>,
  listKey: string,
  field: string,
  noun: string,
): ManifestProblem[] {
  const problems: ManifestProblem[] = []
  const seen = new Map<string, number>()
  for (const [index, entry] of readEntries(app, listKey)) {
    const name = readString(entry, field)
    if (name === undefined) continue
    const first = seen.get(name)
    if (first === undefined) seen.set(name, index)
    else {
      const at = formatPath(['app', listKey, first])
      const message = `${noun} "${name}" is already declared at ${at}`
      problems.push(error(['app', listKey, index, field], message))
    }
  }
  return problems
}

function checkAliases(app: Record<string, unknown>): ManifestProblem[] {
  const aliases = Array.isArray(app.network_aliases) ? app.network_aliases : []
  const problems: ManifestProblem[] = []
  aliases.forEach((alias: unknown, index) => {
    const first = aliases.indexOf(alias)
    if (typeof alias !== 'string' || first === index) return
    const message = `alias "${alias}" is already listed at app.network_aliases[${first}]`
    problems.push(error(['app', 'network_aliases', index], message))
  })
  return problems
}

function checkSelfDependency(app: Record<string, unknown>): ManifestProblem[] {
  const id = readString(app, 'id')
  return readEntries(app, 'dependencies').flatMap(([index, dep]) => {
    if (id === undefined || readString(dep, 'app_id') !== id) return []
    return [error(['app', 'dependencies', index, 'app_id'], `app "${id}" cannot depend on itself`)]
  })
}
