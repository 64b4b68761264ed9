// Parsers for what Podman prints: `ps --format json`, `load`, `info --format json`. Pure, so the
// driver's shapes can be tested without Podman; each names what it received when it cannot parse.
import { ArchyError } from '../src/errors.js'

export interface PodmanContainer {
  id: string
  name: string
  state: string
  image: string
  labels: Record<string, string>
  /** ISO 8601. */
  createdAt: string
  /** When its process last started (ISO 8601), if Podman says: a restart policy moves it. */
  startedAt?: string
  /** The last exit code, if Podman says (0 while it runs on Podman 4). */
  exitCode?: number
}

export interface PodmanInfo {
  cgroupVersion: string
  rootless: boolean
  /** Cgroup controllers this user may use (`host.cgroupControllers`); undefined if unreported. */
  cgroupControllers?: string[]
}

/** Parses `podman ps -a --format json` (Podman 4 and 5: an array; `Created` in Unix seconds). */
export function parseContainerList(stdout: string): PodmanContainer[] {
  const parsed = parseJson(stdout, 'podman ps')
  if (!Array.isArray(parsed)) throw unexpectedOutput('podman ps', 'an array', stdout)

  return parsed.map((entry: unknown) => {
    if (!isRecord(entry) || typeof entry.Id !== 'string') {
      throw unexpectedOutput('podman ps', 'entries with an Id', stdout)
    }
    const names = Array.isArray(entry.Names) ? entry.Names : []
    return {
      id: entry.Id,
      name: typeof names[0] === 'string' ? names[0] : '',
      state: typeof entry.State === 'string' ? entry.State : 'unknown',
      image: typeof entry.Image === 'string' ? entry.Image : '',
      labels: readLabels(entry.Labels),
      createdAt: readCreated(entry.Created, entry.CreatedAt),
      ...(typeof entry.StartedAt === 'number' &&
        entry.StartedAt > 0 && { startedAt: new Date(entry.StartedAt * 1000).toISOString() }),
      ...(typeof entry.ExitCode === 'number' && { exitCode: entry.ExitCode }),
    }
  })
}

/** The image names (or ids) from `podman load` output: `Loaded image(s): a, b` lines. */
export function parseLoadedImages(stdout: string): string[] {
  const images: string[] = []
  for (const line of stdout.split('\n')) {
    const match = /^Loaded image(?:\(s\)|s)?:\s*(.+)$/.exec(line.trim())
    if (!match?.[1]) continue
    for (const name of match[1].split(',')) if (name.trim()) images.push(name.trim())
  }
  return images
}

/** The cgroup version, controllers and rootless flag from `podman info --format json`. */
export function parseInfo(stdout: string): PodmanInfo {
  const parsed = parseJson(stdout, 'podman info')
  const host = isRecord(parsed) ? parsed.host : undefined
  if (!isRecord(host)) throw unexpectedOutput('podman info', 'a host object', stdout)
  const security = isRecord(host.security) ? host.security : {}
  const controllers = host.cgroupControllers
  return {
    cgroupVersion: typeof host.cgroupVersion === 'string' ? host.cgroupVersion : 'unknown',
    rootless: security.rootless === true,
    ...(Array.isArray(controllers) && {
      cgroupControllers: controllers.filter((name): name is string => typeof name === 'string'),
    }),
  }
}

/** The image ID `podman image inspect --format {{.Id}}` prints: 64 hex digits. */
export function parseImageId(stdout: string, ref: string): string {
  const id = stdout.trim()
  if (!IMAGE_ID.test(id)) throw unexpectedOutput(`podman image inspect ${ref}`, 'an image ID', id)
  return id
}

/** `{{json .Config.Volumes}}`: `null`, or an object keyed by the paths the image declares. */
export function parseImageVolumes(stdout: string, ref: string): string[] {
  const what = `podman image inspect ${ref}`
  let volumes: unknown
  try {
    volumes = JSON.parse(stdout.trim() || 'null')
  } catch {
    throw unexpectedOutput(what, 'JSON volumes', stdout.trim())
  }
  if (volumes === null) return []
  if (!isRecord(volumes)) throw unexpectedOutput(what, 'JSON volumes', stdout.trim())
  return Object.keys(volumes).sort()
}

/** Whether a name `podman load` reports is an image ID (an archive without tags), not a tag. */
/** What the agent needs of a network's DNS: whether Podman serves names on it, and where. */
export interface NetworkDns {
  dnsEnabled: boolean
  /** The IPv4 gateways of its subnets, where aardvark-dns answers. */
  gateways: string[]
}

/** Parses `podman network inspect NAME` (Podman 4 and 5: an array of one network). */
export function parseNetworkDns(stdout: string, name: string): NetworkDns {
  const source = `podman network inspect ${name}`
  const parsed = parseJson(stdout, source)
  const network = Array.isArray(parsed) ? parsed[0] : undefined
  if (!isRecord(network)) throw unexpectedOutput(source, 'an array of one network', stdout)
  const subnets = Array.isArray(network.subnets) ? network.subnets : []
  const gateways = subnets
    .map((subnet: unknown) => (isRecord(subnet) ? subnet.gateway : undefined))
    .filter((gateway): gateway is string => typeof gateway === 'string' && !gateway.includes(':'))
  return { dnsEnabled: network.dns_enabled === true, gateways }
}

/** Parses the name check's answer: a JSON object of name to whether it resolved. */
export function parseResolvedNames(stdout: string, names: string[]): Record<string, boolean> {
  const parsed = parseJson(stdout, 'the name check')
  if (!isRecord(parsed)) throw unexpectedOutput('the name check', 'an object', stdout)
  return Object.fromEntries(names.map((name) => [name, parsed[name] === true]))
}

export function isImageId(name: string): boolean {
  return IMAGE_ID.test(name.replace(/^sha256:/, ''))
}

const IMAGE_ID = /^[0-9a-f]{64}$/

function readLabels(value: unknown): Record<string, string> {
  const labels: Record<string, string> = {}
  if (!isRecord(value)) return labels
  for (const [key, label] of Object.entries(value)) {
    if (typeof label === 'string') labels[key] = label
  }
  return labels
}

function readCreated(created: unknown, createdAt: unknown): string {
  if (typeof created === 'number') return new Date(created * 1000).toISOString()
  if (typeof created === 'string' && !Number.isNaN(Date.parse(created))) {
    return new Date(created).toISOString()
  }
  return typeof createdAt === 'string' ? createdAt : ''
}

function parseJson(stdout: string, source: string): unknown {
  try {
    return JSON.parse(stdout) as unknown
  } catch (error) {
    throw new ArchyError('podman-output', `${source}: output is not JSON: ${preview(stdout)}`, {
      cause: error,
    })
  }
}

function unexpectedOutput(source: string, wanted: string, stdout: string): ArchyError {
  return new ArchyError('podman-output', `${source}: expected ${wanted}, got ${preview(stdout)}`)
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat || '(empty)'
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
