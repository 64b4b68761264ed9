// umbrel-app.yml as the descriptive part of a manifest (name, version, description, metadata),
// and the UI port Umbrel's app_proxy serves: the app's `port` on the host, APP_PORT inside.
import { checkAppId, checkVersion } from '../../manifest/formats.js'
import type { AppPlan } from './app-plan.js'
import { APP_PROXY } from './app-plan.js'
import type { YamlMap } from './read-app.js'
import type { NoteSink } from './report.js'
import type { ManifestPort } from './service-ports.js'
import { interpolate } from './variables.js'
import type { Resolver } from './variables.js'

const APP_FILE = 'umbrel-app.yml'
export const REQUIRED = 'is missing; the field is required'

/** The Umbrel id when it is a valid Archipelago id too; otherwise the refusal is noted. */
export function readUmbrelId(meta: YamlMap, notes: NoteSink): string | undefined {
  const id = typeof meta.id === 'string' ? meta.id : ''
  const problem = id === '' ? REQUIRED : checkAppId(id)
  if (problem === undefined) return id
  notes.refuse(APP_FILE, 'id', problem)
  return undefined
}

/**
 * Umbrel versions as SemVer 2.0.0: a leading `v` goes, a missing minor or patch becomes 0 and
 * leading zeros go (`26.06.6` is 26.6.6); what is still not SemVer refuses the app.
 */
export function convertVersion(meta: YamlMap, notes: NoteSink): string | undefined {
  const raw = String(meta.version ?? '').trim()
  if (raw === '') {
    notes.refuse(APP_FILE, 'version', `${REQUIRED} (the app's version, written as SemVer)`)
    return undefined
  }
  if (checkVersion(raw) === undefined) return raw
  const match = /^v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?([-+].*)?$/.exec(raw)
  const core = match
    ? [match[1], match[2] ?? '0', match[3] ?? '0'].map((n) => String(Number(n)))
    : []
  const version = `${core.join('.')}${match?.[4] ?? ''}`
  if (match && checkVersion(version) === undefined) {
    notes.convert(APP_FILE, 'version', `"${raw}" is SemVer ${version}`)
    return version
  }
  notes.refuse(APP_FILE, 'version', `"${raw}" is not a version that can be written as SemVer`)
  return undefined
}

/** The UI port, from app_proxy (or, without one, the app's own `port`); refusals are noted. */
export function convertUiPort(
  plan: AppPlan,
  resolve: Resolver,
  notes: NoteSink,
): ManifestPort | undefined {
  listProxySettings(plan, notes)
  const hostPort = Number(plan.app.meta.port)
  if (!Number.isInteger(hostPort) || hostPort < 1024 || hostPort > 65535) {
    const message = Number.isInteger(hostPort)
      ? `port ${hostPort} is outside 1024-65535, which rootless Podman can bind`
      : 'is missing, so the UI has no host port'
    notes.refuse(APP_FILE, 'port', message)
    return undefined
  }
  const raw = String(plan.proxy ? (plan.proxy.APP_PORT ?? '') : hostPort)
  const resolved = interpolate(raw, resolve)
  const container = resolved.unresolved.length === 0 ? Number(resolved.text) : NaN
  if (!Number.isInteger(container) || container < 1 || container > 65535) {
    const message =
      resolved.unresolved.length > 0
        ? `"${raw}" is set by the app's exports.sh, which is not among its files or computes ` +
          'it when run, so the UI port is unknown'
        : `"${raw}" is not a port number`
    notes.refuse(APP_PROXY, 'APP_PORT', message)
    return undefined
  }

  // PROXY_AUTH_ADD false: Umbrel puts no login in front, the app has its own.
  const open = String(plan.proxy?.PROXY_AUTH_ADD ?? 'true') === 'false'
  const port: ManifestPort = { host: hostPort, container, protocol: 'tcp', bind: '127.0.0.1',
    auth: open ? 'open' : 'gated' } // prettier-ignore
  if (open) port.auth_rationale = "Umbrel's app proxy adds no login (PROXY_AUTH_ADD: false)"
  const where = plan.main ? `service ${plan.main}` : 'the main service'
  notes.convert(APP_PROXY, 'APP_PORT', `UI on host port ${hostPort} -> ${container} of ${where}`)
  return port
}

/** What app_proxy says beyond the main service, its port and whether it adds a login. */
const PROXY_LEFT_OUT: Record<string, string> = {
  PROXY_AUTH_WHITELIST:
    "paths Umbrel's app proxy serves without its login; the UI port's auth covers every path",
  PROXY_AUTH_BLACKLIST:
    "paths Umbrel's app proxy puts behind its login; the UI port's auth covers every path",
}

function listProxySettings(plan: AppPlan, notes: NoteSink): void {
  const read = ['APP_HOST', 'APP_PORT', 'PROXY_AUTH_ADD']
  for (const key of Object.keys(plan.proxy ?? {})) {
    if (read.includes(key)) continue
    notes.leaveOut(APP_PROXY, key, PROXY_LEFT_OUT[key] ?? 'a manifest has no equivalent')
  }
}

/** name, description, category, upstream and metadata of the primary manifest. */
export function describeApp(meta: YamlMap): Record<string, unknown> {
  const text = (key: string): string | undefined =>
    typeof meta[key] === 'string' && meta[key] !== '' ? String(meta[key]).trim() : undefined
  const metadata: Record<string, unknown> = {}
  const fields: [string, string | undefined][] = [
    ['author', text('developer')],
    ['website', text('website')],
    ['repo', text('repo')],
    ['support', text('support')],
  ]
  for (const [key, value] of fields) if (value !== undefined) metadata[key] = value
  if (text('category')) metadata.tags = [text('category')]
  return {
    ...(text('tagline') && { description: text('tagline') }),
    ...(text('category') && { category: text('category') }),
    upstream: { kind: 'umbrel', app: meta.id, version: String(meta.version ?? '') },
    metadata,
  }
}
