// A service's published `ports` (Compose short and long syntax). Compose publishes on every
// interface, so the bind stays 0.0.0.0; these ports bypass Umbrel's app proxy, hence `auth: open`.
import { isIP } from 'node:net'

import { isYamlMap } from './read-app.js'
import type { ValueContext } from './service-environment.js'
import { interpolate } from './variables.js'

export interface ManifestPort {
  host: number
  container: number
  protocol: 'tcp' | 'udp'
  bind: string
  auth: 'gated' | 'open'
  auth_rationale?: string
}

export const DIRECT_PORT_RATIONALE =
  'published directly by the Umbrel compose file, outside its app proxy, for non-browser clients'

/** Converts `ports`; an entry that cannot be published rootless, or lacks a value, is listed. */
export function convertPorts(ports: unknown, context: ValueContext): ManifestPort[] {
  if (!Array.isArray(ports)) return []
  const converted: ManifestPort[] = []
  ports.forEach((entry, index) => {
    const key = `ports[${index}]`
    const parsed = isYamlMap(entry)
      ? readLongSyntax(entry)
      : readShortSyntax(String(entry), context)
    if (typeof parsed === 'string') {
      context.notes.leaveOut(context.service, key, parsed)
      return
    }
    if (parsed.host < 1024) {
      const message = `host port ${parsed.host} is below 1024 and rootless Podman cannot bind it`
      context.notes.leaveOut(context.service, key, message)
      return
    }
    converted.push({ ...parsed, auth: 'open', auth_rationale: DIRECT_PORT_RATIONALE })
  })
  return converted
}

type Parsed = Omit<ManifestPort, 'auth' | 'auth_rationale'> | string

function readShortSyntax(raw: string, context: ValueContext): Parsed {
  const value = interpolate(raw, context.resolve)
  if (value.unresolved.length > 0) {
    const names = [...new Set(value.unresolved)].map((name) => `$${name}`).join(', ')
    return `"${raw}" uses ${names}, which Umbrel sets at install time`
  }
  const [mapping = '', protocol = 'tcp'] = value.text.split('/')
  const parts = mapping.split(':')
  if (parts.length === 1) {
    return `"${raw}" publishes no host port (Compose would pick a random one)`
  }
  const container = parts.pop() ?? ''
  const host = parts.pop() ?? ''
  const bind = parts.join(':') || '0.0.0.0'
  return buildPort(raw, host, container, protocol, bind)
}

function readLongSyntax(entry: Record<string, unknown>): Parsed {
  const raw = JSON.stringify(entry)
  if (entry.published === undefined) return `${raw} publishes no host port`
  const bind = entry.host_ip === undefined ? '0.0.0.0' : String(entry.host_ip)
  const protocol = String(entry.protocol ?? 'tcp')
  return buildPort(raw, String(entry.published), String(entry.target ?? ''), protocol, bind)
}

function buildPort(
  raw: string,
  host: string,
  container: string,
  protocol: string,
  bind: string,
): Parsed {
  if (host.includes('-') || container.includes('-')) {
    return `"${raw}" is a port range, which a manifest lists port by port`
  }
  if (!/^[0-9]+$/.test(host) || !/^[0-9]+$/.test(container)) {
    return `"${raw}" is not a host:container port mapping`
  }
  if (protocol !== 'tcp' && protocol !== 'udp')
    return `"${raw}": protocol ${protocol} is not tcp or udp`
  if (isIP(bind) === 0) return `"${raw}": "${bind}" is not an IP address`
  return { host: Number(host), container: Number(container), protocol, bind }
}
