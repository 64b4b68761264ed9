// The value formats of a manifest (DESIGN.md §4), each a function that returns the broken rule as
// a message, or undefined when the value is fine. The zod schema and the context rules share them.
import { isIP } from 'node:net'
import semver from 'semver'

import { quoteValue } from '../quote-value.js'

const DNS_LABEL = /^[a-z0-9]+(-[a-z0-9]+)*$/
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/
const SECRET_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/
const HEX64 = /^[0-9a-f]{64}$/
const SIZE = /^([1-9][0-9]*)(Ki|Mi|Gi|Ti)?$/
const DURATION = /^(?:[0-9]+(?:ms|s|m|h))+$/
const FILE_MODE = /^0?[0-7]{3}$/
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g

/** Where a name component of an image reference may have separators (OCI distribution spec). */
const IMAGE_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*'
const IMAGE_REFERENCE = new RegExp(
  `^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?${IMAGE_COMPONENT}(?:/${IMAGE_COMPONENT})*` +
    '(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>.+))?$',
)

/** The placeholders a `derived_env` template may use, filled in by the agent on each node. */
export const PLACEHOLDERS = [
  'HOST_IP',
  'HOST_MDNS',
  'NODE_NOSTR_PUBKEY',
  'NODE_IDENTITY_PUBKEYS',
  'APP_ID',
  'APP_DATA_DIR',
] as const

/** Podman's default capability set for rootless containers: the only ones an app may add. */
export const ROOTLESS_CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
] as const

const SIZE_UNITS: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }
SIZE_UNITS.Ti = 1024 ** 4
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

export function checkAppId(value: string): string | undefined {
  if (value.length <= 63 && DNS_LABEL.test(value)) return undefined
  return (
    `${quoteValue(value)} is not a lowercase kebab-case DNS label (a-z, 0-9 and single hyphens, ` +
    '1-63 characters)'
  )
}

export function checkVersion(value: string): string | undefined {
  // semver.parse also takes `v1.2.3` and `=1.2.3`; SemVer 2.0.0 does not, so compare the rebuild.
  const parsed = semver.parse(value)
  const build = parsed?.build.length ? '+' + parsed.build.join('.') : ''
  if (parsed && parsed.version + build === value) return undefined
  return `${quoteValue(value)} is not a SemVer 2.0.0 version (e.g. 1.4.2)`
}

export function checkVersionRange(value: string): string | undefined {
  if (value.trim() !== '' && semver.validRange(value) !== null) return undefined
  return `"${value}" is not a SemVer range (e.g. ">=1.2.0")`
}

export function checkEnvKey(value: string): string | undefined {
  if (ENV_KEY.test(value)) return undefined
  return (
    `"${value}" is not a POSIX environment variable name (letters, digits and "_", not ` +
    'starting with a digit)'
  )
}

export function checkSecretName(value: string): string | undefined {
  if (SECRET_NAME.test(value)) return undefined
  return (
    `"${value}" is not a secret name (lowercase letters, digits, ".", "_" and "-", ` +
    '1-63 characters, starting with a letter or digit)'
  )
}

/**
 * The Podman network mode a `--network` value would select instead of a user network, if any:
 * `none`, `host`, `private`, `bridge`, `slirp4netns` and `pasta` (the last three with or without
 * `:options`), `ns:<path>` and `container:<id>` (podman-run(1), --network).
 */
function findNetworkMode(value: string): string | undefined {
  const lower = value.toLowerCase()
  const head = lower.split(':')[0] ?? ''
  if (['none', 'host', 'private'].includes(lower)) return lower
  if (['bridge', 'slirp4netns', 'pasta'].includes(head)) return head
  if (lower.startsWith('ns:') || lower.startsWith('container:')) return head
  return undefined
}

function describeNetworkMode(label: string, value: string): string {
  return (
    `${label} "${value}" is refused: it selects a Podman network mode, not a user network ` +
    '(reserved: none, host, bridge, private, slirp4netns, pasta, ns:..., container:...)'
  )
}

export function checkNetworkName(value: string): string | undefined {
  if (value === 'host') return 'network "host" is refused: apps never share the host network'
  if (findNetworkMode(value)) return describeNetworkMode('network', value)
  if (NETWORK_NAME.test(value)) return undefined
  return (
    `"${value}" is not a network name (letters, digits, "_", "." and "-", 1-63 ` +
    'characters, starting with a letter or digit)'
  )
}

export function checkNetworkPolicy(value: string): string | undefined {
  if (value === 'host') return 'network policy "host" is refused: apps never share the host network'
  if (value === 'isolated') return undefined
  if (findNetworkMode(value)) return describeNetworkMode('network policy', value)
  return checkNetworkName(value)
}

export function checkAlias(value: string): string | undefined {
  if (value.length <= 63 && DNS_LABEL.test(value)) return undefined
  return (
    `"${value}" is not a network alias (a DNS label: lowercase letters, digits and ` +
    'single hyphens, 1-63 characters)'
  )
}

export function checkVolumeName(value: string): string | undefined {
  if (VOLUME_NAME.test(value)) return undefined
  return (
    `"${value}" is not a volume name (letters, digits, "_", "." and "-", starting with ` +
    'a letter or digit)'
  )
}

export function checkBindAddress(value: string): string | undefined {
  if (isIP(value) !== 0) return undefined
  return `"${value}" is not an IP address`
}

export function checkFileMode(value: string): string | undefined {
  if (FILE_MODE.test(value)) return undefined
  return `"${value}" is not an octal file mode without special bits (e.g. "0644" or "0755")`
}

/** Normalizes a file mode to four digits: "755" -> "0755". */
export function normalizeFileMode(value: string): string {
  return value.padStart(4, '0')
}

export function checkCapability(value: string): string | undefined {
  if ((ROOTLESS_CAPABILITIES as readonly string[]).includes(value)) return undefined
  const allowed = ROOTLESS_CAPABILITIES.join(', ')
  return `capability ${value} is outside the rootless default set (${allowed})`
}

/** Accepts `CAP_CHOWN` and `chown` as well as `CHOWN`. */
export function normalizeCapability(value: string): string {
  return value.toUpperCase().replace(/^CAP_/, '')
}

/** A size such as `10Gi`, `512Mi` or a plain number of bytes. */
export function parseSize(value: string): number | undefined {
  const match = SIZE.exec(value)
  if (!match) return undefined
  const bytes = Number(match[1]) * (SIZE_UNITS[match[2] ?? ''] ?? 1)
  return bytes <= MAX_SIZE ? bytes : undefined
}

/** No size a manifest states (limits, storage) is above 1 PiB: larger is a typo. */
const MAX_SIZE = 1024 ** 5

export function checkSize(value: string): string | undefined {
  if (parseSize(value) !== undefined) return undefined
  if (SIZE.test(value)) return `"${value}" is larger than 1 PiB`
  return `"${value}" is not a size (a whole number of bytes, or with Ki, Mi, Gi or Ti, e.g. 512Mi)`
}

/** A duration such as `30s`, `500ms` or `1m30s`, in milliseconds. */
export function parseDuration(value: string): number | undefined {
  if (!DURATION.test(value)) return undefined
  let total = 0
  for (const [, amount, unit] of value.matchAll(/([0-9]+)(ms|s|m|h)/g)) {
    total += Number(amount) * (DURATION_UNITS[unit ?? ''] ?? 0)
  }
  return total
}

export function checkDuration(value: string): string | undefined {
  if (parseDuration(value) !== undefined) return undefined
  return `"${value}" is not a duration (e.g. 500ms, 30s, 5m, 1h or 1m30s)`
}

/** Every placeholder of a template that the agent does not know, as `{{NAME}}`. */
export function findUnknownPlaceholders(template: string): string[] {
  const unknown: string[] = []
  for (const [, name] of template.matchAll(PLACEHOLDER)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(name ?? '')) unknown.push(`{{${name}}}`)
  }
  return unknown
}

export function checkImage(value: string): string | undefined {
  if (value.startsWith('blake3:')) {
    if (HEX64.test(value.slice(7))) return undefined
    return `"${value}" must be blake3: followed by 64 lowercase hex characters`
  }
  if (value.startsWith('file:')) return checkRelativePath(value.slice(5), `"${value}"`)
  const match = IMAGE_REFERENCE.exec(value)
  if (!match) return `"${value}" is not an image reference`
  const { tag, digest } = match.groups ?? {}
  if (digest !== undefined) {
    if (digest.startsWith('sha256:') && HEX64.test(digest.slice(7))) return undefined
    return `"${value}" has a bad digest: use @sha256: followed by 64 lowercase hex characters`
  }
  if (tag === undefined) return `"${value}" has no tag: pin a version tag or an @sha256 digest`
  if (tag === 'latest')
    return `"${value}" is not pinned: "latest" is refused, use a version tag or an @sha256 digest`
  return undefined
}

/** A path relative to the manifest (image `file:`, hook `src`): no absolute path, no `..`. */
export function checkRelativePath(value: string, label = `"${value}"`): string | undefined {
  if (value === '') return `${label} names no file`
  if (value.startsWith('/')) return `${label} must be a path relative to the manifest`
  if (value.split('/').includes('..')) return `${label} must not contain ".." segments`
  return undefined
}

// Control characters (a newline above all) would start a new directive in a rendered unit.
function hasControlCharacter(value: string): boolean {
  return [...value].some((character) => {
    const code = character.charCodeAt(0)
    return code < 0x20 || code === 0x7f
  })
}

/** An absolute path (a container target, a bind source, a file path): no `..` segments. */
export function checkAbsolutePath(value: string): string | undefined {
  if (!value.startsWith('/')) return `"${value}" must be an absolute path`
  if (value.split('/').includes('..')) return `"${value}" must not contain ".." segments`
  if (hasControlCharacter(value)) return `${JSON.stringify(value)} contains a control character`
  return undefined
}

/**
 * A path in a mount (source or target). Podman's `-v`, `--tmpfs` and Quadlet's `Volume=` and
 * `Tmpfs=` split on ":" and ",", so either would smuggle in options past the allowlist.
 */
export function checkMountPath(value: string): string | undefined {
  const problem = checkAbsolutePath(value)
  if (problem !== undefined) return problem
  const separator = [':', ','].find((character) => value.includes(character))
  if (separator === undefined) return undefined
  return `"${value}" contains "${separator}", which Podman reads as a mount option separator`
}

/** Container engine sockets: never mounted into an app. */
export function checkNotSocket(value: string): string | undefined {
  const name = value.split('/').pop() ?? ''
  if (!name.endsWith('.sock')) return undefined
  return `socket "${value}" is refused: apps never get the container engine's or any host socket`
}
