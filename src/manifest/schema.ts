// The one definition of the manifest's shape (DESIGN.md §4) in zod: types, value formats,
// defaults and normalization. The validator parses with it; the JSON Schema is generated from it.
import { z } from 'zod'

import * as format from './formats.js'
import { checkTmpfsOption, checkVolumeOption } from './mount-options.js'
import type {
  AppDependency,
  Capability,
  EnvVar,
  HookStep,
  ManifestFile,
  StorageDependency,
} from './types.js'

type Check = (value: string) => string | undefined

/** A string that must pass a format check; the check's message becomes the problem. */
function formatted(check: Check, description?: string): z.ZodString {
  const schema = z.string().check((ctx) => {
    const message = check(ctx.value)
    if (message) ctx.issues.push({ code: 'custom', message, input: ctx.value })
  })
  return description ? schema.meta({ description }) : schema
}

/** A whole number in a closed range. */
function integerIn(min: number, max: number): z.ZodNumber {
  return z.number().check((ctx) => {
    const value = ctx.value
    if (Number.isInteger(value) && value >= min && value <= max) return
    const message = `must be an integer from ${min} to ${max} (got ${value})`
    ctx.issues.push({ code: 'custom', message, input: value })
  })
}

const nonEmpty = z.string().min(1, 'must not be empty')

/** A size (`10Gi`) normalized to bytes. */
const size = formatted(format.checkSize, 'Ki/Mi/Gi/Ti, e.g. 512Mi').transform(
  (value) => format.parseSize(value) ?? 0,
)

/** A duration (`30s`) normalized to milliseconds. */
function duration(fallback: string) {
  return formatted(format.checkDuration, 'e.g. 500ms, 30s, 5m')
    .prefault(fallback)
    .transform((value) => format.parseDuration(value) ?? 0)
}

const hostPort = z.number().check((ctx) => {
  const value = ctx.value
  let message: string | undefined
  if (!Number.isInteger(value)) message = `port ${value} is not a whole number`
  else if (value < 1024) message = `port ${value} is below 1024 and rootless Podman cannot bind it`
  else if (value > 65535) message = `port ${value} is above 65535`
  if (message) ctx.issues.push({ code: 'custom', message, input: value })
})

const containerPort = integerIn(1, 65535)
const absolutePath = formatted(format.checkAbsolutePath)
const mountPath = formatted(format.checkMountPath)
const envKey = formatted(format.checkEnvKey)
const secretName = formatted(format.checkSecretName)
const stringList = z.array(z.string())

const template = z.string().check((ctx) => {
  for (const placeholder of format.findUnknownPlaceholders(ctx.value)) {
    const message = `unknown placeholder ${placeholder}`
    ctx.issues.push({ code: 'custom', message, input: ctx.value })
  }
})

const capability = z
  .string()
  .transform((value) => format.normalizeCapability(value))
  .check((ctx) => {
    const message = format.checkCapability(ctx.value)
    if (message) ctx.issues.push({ code: 'custom', message, input: ctx.value })
  })
  .transform((value) => value as Capability)

const container = z.object({
  image: formatted(format.checkImage, 'name:tag@sha256:<hex>, blake3:<hex> or file:<path>'),
  legacy_names: stringList.default([]),
  pull_policy: z.enum(['if-not-present', 'always', 'never']).default('if-not-present'),
  network: formatted(format.checkNetworkName).default('archy-net'),
  entrypoint: stringList.optional(),
  command: stringList.optional(),
  data_uid: integerIn(0, 65535).optional(),
  derived_env: z.array(z.object({ key: envKey, template })).default([]),
  secret_env: z.array(z.object({ key: envKey, secret_file: secretName })).default([]),
})

const generatedSecret = z.object({
  name: secretName,
  length: integerIn(16, 4096),
  charset: z.enum(['alphanumeric', 'hex', 'base64url']),
})

const dependency = z
  .object({
    app_id: formatted(format.checkAppId).optional(),
    version: formatted(format.checkVersionRange).optional(),
    storage: size.optional(),
  })
  .check((ctx) => {
    const { app_id, storage, version } = ctx.value
    let message: string | undefined
    if (app_id === undefined && storage === undefined) {
      message = 'a dependency names either app_id or storage'
    } else if (app_id !== undefined && storage !== undefined) {
      message = 'a dependency names app_id or storage, not both'
    } else if (version !== undefined && app_id === undefined) {
      message = 'version applies only to an app_id dependency'
    }
    if (message) ctx.issues.push({ code: 'custom', message, input: ctx.value })
  })
  .transform((value): AppDependency | StorageDependency => {
    if (value.app_id === undefined) return { storage: value.storage ?? 0 }
    return value.version === undefined
      ? { app_id: value.app_id }
      : { app_id: value.app_id, version: value.version }
  })

const security = z.object({
  capabilities: z.array(capability).default([]),
  readonly_root: z.boolean().default(true),
  no_new_privileges: z.boolean().default(true),
  network_policy: formatted(format.checkNetworkPolicy).default('isolated'),
})

const port = z.object({
  host: hostPort,
  container: containerPort,
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
  bind: formatted(format.checkBindAddress).default('127.0.0.1'),
  auth: z.enum(['gated', 'open']).default('gated'),
  auth_rationale: nonEmpty.optional(),
})

const volumeOptions = z
  .array(formatted(checkVolumeOption, 'ro, rw, nosuid, nodev or noexec'))
  .default([])
const tmpfsOptions = z
  .array(formatted(checkTmpfsOption, 'size=<n>[k|m|g], mode=<octal>, nosuid, nodev or noexec'))
  .default([])
const bindSource = mountPath.check((ctx) => {
  const message = format.checkNotSocket(ctx.value)
  if (message) ctx.issues.push({ code: 'custom', message, input: ctx.value })
})

const volume = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('bind'),
    source: bindSource,
    target: mountPath,
    options: volumeOptions,
  }),
  z.object({
    type: z.literal('volume'),
    source: formatted(format.checkVolumeName),
    target: mountPath,
    options: volumeOptions,
  }),
  z.object({ type: z.literal('tmpfs'), target: mountPath, options: tmpfsOptions }),
])

const envEntry = z.union([
  z.string().transform((value, ctx): EnvVar => {
    const at = value.indexOf('=')
    const key = at < 0 ? value : value.slice(0, at)
    const message = at < 0 ? `"${value}" is not KEY=value` : format.checkEnvKey(key)
    if (message) ctx.issues.push({ code: 'custom', message, input: value })
    return { key, value: value.slice(at + 1) }
  }),
  z.object({
    key: envKey,
    value: z.union([z.string(), z.number(), z.boolean()]).transform((value) => String(value)),
  }),
])

const timing = {
  interval: duration('30s'),
  timeout: duration('5s'),
  retries: integerIn(0, 100).default(3),
  start_period: duration('0s'),
}

const healthCheck = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('http'),
    endpoint: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
    path: z.string().regex(/^\//, 'must start with "/"').default('/'),
    ...timing,
  }),
  z.object({ type: z.literal('tcp'), port: containerPort, ...timing }),
  z.object({ type: z.literal('exec'), command: stringList.min(1, 'must not be empty'), ...timing }),
])

const file = z.object({
  path: absolutePath,
  content: z.string(),
  overwrite: z.boolean().default(false),
  mode: formatted(format.checkFileMode, 'octal, e.g. "0755"')
    .default('0644')
    .transform((value) => format.normalizeFileMode(value)),
}) satisfies z.ZodType<ManifestFile, unknown>

const hookStep = z
  .object({
    copy_from_host: z
      .object({
        src: formatted((value) => format.checkRelativePath(value)),
        dest: absolutePath,
      })
      .optional(),
    exec: z.object({ command: stringList.min(1, 'must not be empty') }).optional(),
  })
  .check((ctx) => {
    const count =
      Number(ctx.value.copy_from_host !== undefined) + Number(ctx.value.exec !== undefined)
    if (count === 1) return
    const message = 'a hook step has exactly one of copy_from_host or exec'
    ctx.issues.push({ code: 'custom', message, input: ctx.value })
  })
  .transform((value): HookStep =>
    value.exec ? { exec: value.exec } : { copy_from_host: value.copy_from_host! },
  )

const appInterface = z.object({
  name: nonEmpty,
  type: nonEmpty.default('ui'),
  port: containerPort,
  protocol: nonEmpty.default('http'),
  path: z.string().default('/'),
})

const record = z.record(z.string(), z.unknown())

export const appSchema = z.object({
  id: formatted(format.checkAppId, 'lowercase kebab-case DNS label, 1-63 characters'),
  name: nonEmpty,
  version: formatted(format.checkVersion, 'SemVer 2.0.0'),
  description: z.string().optional(),
  category: z.string().optional(),
  upstream: record.optional(),
  container,
  generated_secrets: z.array(generatedSecret).default([]),
  network_aliases: z.array(formatted(format.checkAlias)).default([]),
  dependencies: z.array(dependency).default([]),
  resources: z
    .object({
      memory_limit: size.optional(),
      cpu_limit: z.number().positive('must be a positive number of cores').optional(),
    })
    .default({}),
  security: security.prefault({}),
  ports: z.array(port).default([]),
  volumes: z.array(volume).default([]),
  environment: z.array(envEntry).default([]),
  health_check: healthCheck.optional(),
  files: z.array(file).default([]),
  hooks: z.object({ post_install: z.array(hookStep).default([]) }).prefault({}),
  interfaces: z.record(z.string(), appInterface).default({}),
  metadata: record.default({}),
})

/** The document: root key `app`. */
export const manifestSchema = z.object({ app: appSchema }).meta({
  title: 'Archipelago app manifest',
  description: 'One container of an Archipelago app (DESIGN.md §4). Unknown keys are warnings.',
})
