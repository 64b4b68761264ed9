// The registry node's settings: one table holding each key's type, default, description and
// restart flag, with overrides from `ARCHY_*` variables and flags, checked at start-up.

import { z } from 'zod'

import { parseAddressRange } from '../address-range.js'
import { ValidationError } from '../errors.js'
import { LOG_LEVELS } from '../log.js'
import { parseAppAddress } from '../release/app-address.js'

export const ENV_PREFIX = 'ARCHY_'
/** The d tag of the node's signed catalog announcements (registry/catalog-signer.ts). */
const CATALOG_NAMESPACE = 'archipelago-catalog'
/** The kind of releases and catalog announcements (DESIGN.md §4). */
const RELEASE_KIND = 30078

export interface NodeConfig {
  host: string
  port: number
  data: string
  public_url: string | undefined
  log_level: (typeof LOG_LEVELS)[number]
  max_blob_bytes: number
  blob_quota_bytes: number
  blob_grace_seconds: number
  app_owners: string[]
  upstream_relays: string[]
  relay_auth_writes: boolean
  trusted_proxies: string[]
  relay_accepted_kinds: number[]
  relay_app_data_namespaces: string[]
  relay_max_future_seconds: number
  relay_max_past_seconds: number
  relay_negentropy_sessions: number
  relay_negentropy_max_events: number
  relay_negentropy_frame_bytes: number
  relay_ip_messages_per_second: number
  relay_key_events_per_second: number
}

export interface SettingSpec {
  schema: z.ZodType
  /** The rule in words, for the error: `port: must be an integer from 0 to 65535`. */
  rule: string
  default: unknown
  description: string
  /** True when a change takes effect only after the node restarts. */
  restart: boolean
  /** How an environment or flag string becomes a value before the schema checks it. */
  fromText: (text: string) => unknown
  /** The `archy node run` flag that sets it, when there is one. */
  flag?: string
  /** The default as shown in the docs, when the value itself reads badly. */
  defaultText?: string
}

const asText = (text: string): unknown => text
const asList = (text: string): unknown =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
const asInteger = (text: string): unknown => (/^\d+$/.test(text) ? Number(text) : text)
const asBoolean = (text: string): unknown =>
  text === 'true' ? true : text === 'false' ? false : text
const asIntegers = (text: string): unknown => text.split(',').map((item) => asInteger(item.trim()))

export const NODE_SETTINGS: Record<keyof NodeConfig, SettingSpec> = {
  host: {
    flag: '--host',
    schema: z.string().min(1),
    rule: 'a host name or address',
    default: '127.0.0.1',
    description: 'Address the HTTP and relay port listens on.',
    restart: true,
    fromText: asText,
  },
  port: {
    flag: '--port',
    schema: z.number().int().min(0).max(65535),
    rule: 'an integer from 0 to 65535',
    default: 7777,
    description: 'TCP port for HTTP and the relay WebSocket (0 picks a free one).',
    restart: true,
    fromText: asInteger,
  },
  data: {
    flag: '--data',
    schema: z.string().min(1),
    rule: 'a directory path',
    default: './data',
    description: 'Directory for the databases, blobs and the operator key.',
    restart: true,
    fromText: asText,
  },
  public_url: {
    schema: z.url({ protocol: /^https?$/ }).optional(),
    rule: 'an http:// or https:// URL',
    default: undefined,
    defaultText: 'the listening address',
    description: 'URL clients reach this node at; defaults to the listening address.',
    restart: true,
    fromText: asText,
  },
  log_level: {
    schema: z.enum(LOG_LEVELS),
    rule: `one of ${LOG_LEVELS.join(', ')}`,
    default: 'info',
    description: 'Lowest level of log lines written to standard error.',
    restart: true,
    fromText: asText,
  },
  max_blob_bytes: {
    schema: z.number().int().positive(),
    rule: 'a positive integer (bytes)',
    default: 2 * 1024 ** 3,
    defaultText: '2 GiB',
    description: 'Largest blob an upload (PUT /blobs, PUT /upload) may carry, in bytes.',
    restart: true,
    fromText: asInteger,
  },
  blob_quota_bytes: {
    schema: z.number().int().positive(),
    rule: 'a positive integer (bytes)',
    default: 10 * 1024 ** 3,
    defaultText: '10 GiB',
    description: 'Bytes of blobs one uploader (Nostr key) may hold; each uploader of a blob pays.',
    restart: true,
    fromText: asInteger,
  },
  blob_grace_seconds: {
    schema: z.number().int().min(0),
    rule: 'a whole number of seconds',
    default: 7 * 24 * 3600,
    defaultText: '7 days',
    description: 'How long a blob no kept release names stays after its last upload.',
    restart: true,
    fromText: asInteger,
  },
  app_owners: {
    schema: z.array(z.string().refine(isOwnerAddress)).refine(hasUniqueIds),
    rule: 'a comma-separated list of id@<publisher did:key>, each id at most once',
    default: [],
    defaultText: 'none',
    description:
      'Who owns a bare app id here, overriding the earliest verified release (id@<did>,...).',
    restart: true,
    fromText: asList,
  },
  relay_accepted_kinds: {
    // Without 30078 the relay would refuse every release, and the node's own catalog announcements.
    schema: z
      .array(z.number().int().min(0).max(65535))
      .min(1)
      .refine((kinds) => kinds.includes(RELEASE_KIND)),
    rule:
      'a comma-separated list of event kinds, integers from 0 to 65535, that includes ' +
      `${RELEASE_KIND} (releases and the node's own catalog announcements)`,
    default: [0, 3, 5, 1984, 1985, 10000, 10002, 22242, 30078, 30382],
    description: 'Event kinds the relay accepts (30078 among them); others get blocked:.',
    restart: true,
    fromText: asIntegers,
  },
  relay_app_data_namespaces: {
    // Without the node's own catalog d tag, the relay would refuse every catalog it announces.
    schema: z
      .array(z.string().min(1))
      .min(1)
      .refine((namespaces) => namespaces.includes(CATALOG_NAMESPACE)),
    rule:
      'a comma-separated list of d tags, a trailing : making one a prefix, that includes ' +
      `${CATALOG_NAMESPACE} (the node's own catalog announcements)`,
    default: ['archipelago-app:', CATALOG_NAMESPACE],
    description:
      'The d tags a kind 30078 event may carry; one ending in : is a prefix. Must keep archipelago-catalog.',
    restart: true,
    fromText: asList,
  },
  relay_max_future_seconds: {
    // Under a minute would refuse honest clients with a skewed clock, and catalog announcements.
    schema: z
      .number()
      .int()
      .refine((seconds) => seconds === 0 || seconds >= 60),
    rule: 'a whole number of seconds, 0 (no bound) or at least 60',
    default: 900,
    defaultText: '900 (15 minutes)',
    description: 'How far ahead of the clock an event created_at may be (NIP-11 upper limit).',
    restart: true,
    fromText: asInteger,
  },
  relay_max_past_seconds: {
    schema: z.number().int().min(0),
    rule: 'a whole number of seconds (0 sets no bound)',
    default: 0,
    defaultText: '0 (no bound: old follows, profiles and releases still sync)',
    description: 'How far behind the clock an event created_at may be (NIP-11 lower limit).',
    restart: true,
    fromText: asInteger,
  },
  relay_negentropy_sessions: {
    schema: z.number().int().min(0),
    rule: 'a whole number (0 turns NIP-77 off)',
    default: 4,
    description: 'Open NIP-77 negentropy sessions per connection.',
    restart: true,
    fromText: asInteger,
  },
  relay_negentropy_max_events: {
    schema: z.number().int().positive(),
    rule: 'a positive integer (events)',
    default: 500_000,
    description: 'Most stored events one NEG-OPEN may reconcile; a larger set gets NEG-ERR.',
    restart: true,
    fromText: asInteger,
  },
  relay_negentropy_frame_bytes: {
    schema: z.number().int().min(4096),
    rule: 'an integer of at least 4096 (bytes of binary message)',
    default: 60_000,
    defaultText: '60000 (its hex fits a 128 KiB message)',
    description: 'Largest binary negentropy message the relay and its upstream follower send.',
    restart: true,
    fromText: asInteger,
  },
  relay_ip_messages_per_second: {
    schema: z.number().int().min(0),
    rule: 'a whole number (0 turns the limit off)',
    default: 200,
    description: 'Messages per second one client address may send (bursts of five times that).',
    restart: true,
    fromText: asInteger,
  },
  relay_key_events_per_second: {
    schema: z.number().int().min(0),
    rule: 'a whole number (0 turns the limit off)',
    default: 20,
    description: 'Events per second one author may publish (bursts of ten times that).',
    restart: true,
    fromText: asInteger,
  },
  upstream_relays: {
    // Credentials in a URL would end up in logs and status: refused.
    schema: z.array(z.url({ protocol: /^wss?$/ }).refine(hasNoCredentials)),
    rule: 'a comma-separated list of ws:// or wss:// relay URLs without user names or passwords',
    default: [],
    defaultText: 'none',
    description:
      'Relays to follow: release events and the kinds trust reads, caught up by NIP-77 or since.',
    restart: true,
    fromText: asList,
  },
  relay_auth_writes: {
    schema: z.boolean(),
    rule: 'true or false',
    default: false,
    description: 'Accept client events only from authors authenticated on the connection (NIP-42).',
    restart: true,
    fromText: asBoolean,
  },
  trusted_proxies: {
    schema: z.array(z.string().refine((text) => parseAddressRange(text) !== undefined)),
    rule:
      'a comma-separated list of IP addresses or CIDR ranges (10.88.0.0/16, fd00::/8): the ' +
      'peers a reverse proxy connects from',
    default: [],
    defaultText: 'none',
    description:
      'Proxies whose X-Forwarded-For names the client the per-IP rate limit counts (nginx: 127.0.0.1).',
    restart: true,
    fromText: asList,
  },
}

// zod runs the refinement even when the text is no URL; that failure is z.url's to report.
function hasNoCredentials(text: string): boolean {
  if (!URL.canParse(text)) return true
  const url = new URL(text)
  return url.username === '' && url.password === ''
}

function isOwnerAddress(text: string): boolean {
  try {
    return parseAppAddress(text).did !== undefined
  } catch {
    return false
  }
}

function hasUniqueIds(addresses: string[]): boolean {
  const ids = addresses.map((address) => address.split('@')[0])
  return new Set(ids).size === ids.length
}

/** The environment variable that overrides a key, e.g. `ARCHY_PORT`. */
export function envName(key: string): string {
  return ENV_PREFIX + key.toUpperCase()
}

/**
 * Resolves every setting: flag, else environment, else default; each value is checked and a bad
 * one throws a ValidationError naming the key and where the value came from.
 */
export function loadNodeConfig(
  flags: Partial<Record<keyof NodeConfig, string | number>> = {},
  env: NodeJS.ProcessEnv = process.env,
): NodeConfig {
  const config: Record<string, unknown> = {}
  for (const [key, spec] of Object.entries(NODE_SETTINGS)) {
    const flag = flags[key as keyof NodeConfig]
    const fromEnv = env[envName(key)]
    let value: unknown = spec.default
    let source = key
    if (flag !== undefined) {
      value = typeof flag === 'string' ? spec.fromText(flag) : flag
    } else if (fromEnv !== undefined && fromEnv !== '') {
      value = spec.fromText(fromEnv)
      source = `${key} (${envName(key)})`
    }
    const parsed = spec.schema.safeParse(value)
    if (!parsed.success) {
      throw new ValidationError(source, `must be ${spec.rule}, got ${JSON.stringify(value)}`)
    }
    config[key] = parsed.data
  }
  return config as unknown as NodeConfig
}
