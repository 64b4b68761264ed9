// Compose volumes as Archipelago mounts. Umbrel's `${APP_DATA_DIR}/x` becomes the member's own
// data directory; another app's data (`${UMBREL_ROOT}/app-data/<app>`, an exported data
// directory) a read-only mount of a declared dependency (DESIGN.md §4, Host paths). Devices and
// host sockets are unsafe; any other host path is a secondary mount left for a decision.
import path from 'node:path'

import { isYamlMap } from './read-app.js'
import type { YamlMap } from './read-app.js'
import { interpolate } from './variables.js'
import type { Resolver } from './variables.js'

export type MountSource =
  /** Under the Umbrel app's own data directory; `relative` is '' for the directory itself. */
  | { kind: 'own'; relative: string }
  /** Under another Umbrel app's data directory. */
  | { kind: 'app'; umbrelId: string; relative: string }
  | { kind: 'volume'; name: string }
  | { kind: 'tmpfs' }
  /** Unsafe on any service: a device or a host socket. */
  | { kind: 'unsafe'; reason: string }
  /** Some other host path, or one Umbrel fills in at install time. */
  | { kind: 'host'; reason: string }

export interface MountIntent {
  /** `volumes[2]` or `tmpfs[0]`: the compose key, for the report. */
  key: string
  raw: string
  source: MountSource
  target?: string
  readOnly: boolean
  /** Options given that a manifest cannot carry (SELinux labels, propagation, nocopy). */
  droppedOptions: string[]
  /** Why the target cannot be used, when it cannot. */
  targetProblem?: string
}

const DATA_DIR = /^\$\{?APP_DATA_DIR\}?(?=\/|$)/
const APP_DATA = /^\$\{?UMBREL_ROOT\}?\/app-data\/([a-z0-9-]+)(?=\/|$)/
const EXPORTED = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?(?=\/|$)/

/** Reads a service's `volumes` and `tmpfs` into mount intents. */
export function readMounts(
  service: YamlMap,
  umbrelId: string,
  resolve: Resolver,
  dataDirs: DataDirs,
): MountIntent[] {
  const volumes = Array.isArray(service.volumes) ? service.volumes : []
  const intents = volumes.map((entry, index) =>
    readVolume(entry, `volumes[${index}]`, umbrelId, dataDirs),
  )
  const tmpfs = typeof service.tmpfs === 'string' ? [service.tmpfs] : service.tmpfs
  if (Array.isArray(tmpfs)) {
    tmpfs.forEach((target, index) => {
      const raw = String(target)
      intents.push({
        key: `tmpfs[${index}]`,
        raw,
        source: { kind: 'tmpfs' },
        target: raw.split(':')[0],
        readOnly: false,
        droppedOptions: raw.includes(':') ? [raw.slice(raw.indexOf(':') + 1)] : [],
      })
    })
  }
  for (const intent of intents) checkTarget(intent, resolve)
  return intents
}

/** Exported data directory variables: name -> (app, path inside its data directory). */
export type DataDirs = ReadonlyMap<string, { app: string; path: string }>

function readVolume(
  entry: unknown,
  key: string,
  umbrelId: string,
  dataDirs: DataDirs,
): MountIntent {
  if (isYamlMap(entry)) {
    const type = String(entry.type ?? 'volume')
    const raw = JSON.stringify(entry)
    const target = typeof entry.target === 'string' ? entry.target : undefined
    const readOnly = entry.read_only === true
    const base = { key, raw, target, readOnly, droppedOptions: readLongOptions(entry) }
    if (type === 'tmpfs') return { ...base, source: { kind: 'tmpfs' } }
    const source = String(entry.source ?? '')
    if (type === 'volume') return { ...base, source: { kind: 'volume', name: source } }
    return { ...base, source: classifySource(source, umbrelId, dataDirs) }
  }

  // Short syntax, SOURCE:TARGET[:MODE] (Compose specification, volumes).
  const raw = String(entry)
  const [source = '', target, mode = ''] = raw.split(':')
  const modes = mode ? mode.split(',') : []
  const droppedOptions = modes.filter((option) => option !== 'ro' && option !== 'rw')
  const base = { key, raw, readOnly: modes.includes('ro'), droppedOptions }
  if (target === undefined) {
    // A bare path is an anonymous volume: data the container keeps for itself.
    const name = `anonymous-${key.replace(/\D/g, '')}`
    return { ...base, target: source, source: { kind: 'volume', name } }
  }
  const isNamed = !source.startsWith('/') && !source.startsWith('$') && !source.startsWith('.')
  if (isNamed && source !== '' && !source.startsWith('~')) {
    return { ...base, target, source: { kind: 'volume', name: source } }
  }
  return { ...base, target, source: classifySource(source, umbrelId, dataDirs) }
}

/** The long syntax's options a manifest has no place for (`bind.propagation`, `volume.nocopy`). */
function readLongOptions(entry: YamlMap): string[] {
  const options = ['bind', 'volume', 'tmpfs'].flatMap((group) => {
    const settings = entry[group]
    if (!isYamlMap(settings)) return []
    return Object.entries(settings).map(([name, value]) => `${group}.${name}=${String(value)}`)
  })
  if (entry.consistency !== undefined) options.push(`consistency=${String(entry.consistency)}`)
  return options
}

/** Where a bind source points, judged before any variable is filled in. */
export function classifySource(source: string, umbrelId: string, dataDirs: DataDirs): MountSource {
  const own = DATA_DIR.exec(source)
  if (own) return { kind: 'own', relative: trimRelative(source.slice(own[0].length)) }
  const other = APP_DATA.exec(source)
  if (other) return appSource(other[1]!, source.slice(other[0].length), umbrelId)
  const exported = EXPORTED.exec(source)
  const table = exported ? dataDirs.get(exported[1]!) : undefined
  if (exported && table) {
    return appSource(table.app, `${table.path}${source.slice(exported[0].length)}`, umbrelId)
  }

  const normalized = source.startsWith('/') ? path.posix.normalize(source) : source
  if (normalized === '/dev' || normalized.startsWith('/dev/')) {
    return { kind: 'unsafe', reason: `the host device path "${source}" is refused` }
  }
  if (
    normalized.endsWith('.sock') ||
    /^\/(var\/)?run(\/|$)/.test(normalized) ||
    normalized.includes('docker.sock')
  ) {
    return { kind: 'unsafe', reason: `the host socket or runtime path "${source}" is refused` }
  }
  const variables = [...source.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1])
  const reason =
    variables.length > 0
      ? `"${source}" is a host path Umbrel fills in (${variables.join(', ')}), outside the ` +
        "app's data directory"
      : `"${source}" is a host path outside the app's data directory`
  return { kind: 'host', reason }
}

function appSource(app: string, rest: string, umbrelId: string): MountSource {
  const relative = trimRelative(rest)
  if (relative.startsWith('..')) {
    return { kind: 'host', reason: `"${rest}" leaves the data directory of app ${app}` }
  }
  return app === umbrelId ? { kind: 'own', relative } : { kind: 'app', umbrelId: app, relative }
}

function trimRelative(rest: string): string {
  return path.posix.normalize(rest.replace(/^\/+/, '') || '.').replace(/^\.$/, '')
}

function checkTarget(intent: MountIntent, resolve: Resolver): void {
  if (intent.target === undefined || intent.target === '') {
    intent.targetProblem = 'has no target'
    return
  }
  const target = interpolate(intent.target, resolve)
  if (target.unresolved.length > 0 || target.secrets.length > 0 || target.template) {
    const names = [...target.unresolved, ...target.secrets].join(', ')
    const message = `uses ${names}, which Umbrel sets at install time`
    intent.targetProblem = `the target "${intent.target}" ${message}`
    return
  }
  intent.target = target.text
}
