// From a normalized manifest to the container one app runs as on this node: data paths mapped onto
// the agent's data root, placeholders resolved, secrets named, capabilities and health decided.
// Both renderers (podman argv, Quadlet units) read only this spec, so the two modes agree.
import path from 'node:path'

import { ValidationError } from '../src/errors.js'
import { ARCHIPELAGO_DATA_PREFIX, isAppDependency } from '../src/manifest/types.js'
import type { AppManifest, HealthCheck, HookStep, Volume } from '../src/manifest/types.js'
import { checkHookDestinations } from './hook-destinations.js'

export type NodeValueName = 'HOST_IP' | 'HOST_MDNS' | 'NODE_NOSTR_PUBKEY' | 'NODE_IDENTITY_PUBKEYS'

export interface NodeContext {
  /** The agent's data root; `/var/lib/archipelago` in a manifest maps onto it. */
  dataRoot: string
  values: Partial<Record<NodeValueName, string>>
}

export type ContainerMount =
  | { type: 'bind'; source: string; target: string; readonly: boolean; options: string[] }
  | { type: 'volume'; source: string; target: string; readonly: boolean; options: string[] }
  | { type: 'tmpfs'; target: string; options: string[] }

export interface ContainerHealth {
  command: string[]
  /** Milliseconds, as in the manifest. */
  interval: number
  timeout: number
  retries: number
  startPeriod: number
}

export interface ContainerSpec {
  name: string
  appId: string
  image: string
  entrypoint?: string[]
  command?: string[]
  /** `environment` then `derived_env`, placeholders resolved. */
  environment: { key: string; value: string }[]
  /** Podman secrets exposed as environment variables; never their values. */
  secrets: { key: string; secretName: string; ownerAppId: string; name: string }[]
  ports: { host: number; container: number; protocol: 'tcp' | 'udp'; bind: string }[]
  mounts: ContainerMount[]
  network: string
  extraNetworks: string[]
  aliases: string[]
  /** Added to an otherwise empty set (everything else is dropped). */
  capabilities: string[]
  readonlyRoot: boolean
  noNewPrivileges: boolean
  /** Bytes. */
  memoryLimit?: number
  /** Cores. */
  cpuLimit?: number
  health?: ContainerHealth
  labels: Record<string, string>
  /** Names of the containers this one needs running first. */
  dependsOn: string[]
  postInstall: HookStep[]
}

export interface BuildSpecOptions {
  /** The local image name to run, e.g. what `podman load` gave; default from the manifest. */
  image?: string
  /** Extra labels (the agent adds its config hash); they override the defaults. */
  labels?: Record<string, string>
  /** Secret name -> id of the app that declares it; default the manifest's own id. */
  secretOwners?: Record<string, string>
}

/** Labels on every container the agent owns. */
export const APP_LABEL = 'archy.app'
export const VERSION_LABEL = 'archy.version'

const PODMAN_SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/
const APP_ID = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/

/**
 * The Podman secret holding an app's generated secret: `archy.<app id>.<name>`. App ids never
 * contain a dot, so two (app, name) pairs never share a secret name.
 */
export function podmanSecretName(ownerAppId: string, name: string): string {
  if (!APP_ID.test(ownerAppId)) {
    throw new ValidationError('app.id', `"${ownerAppId}" is not a valid app id`)
  }
  const secretName = `archy.${ownerAppId}.${name}`
  if (!PODMAN_SECRET_NAME.test(name) || secretName.length > 253) {
    throw new ValidationError(
      'app.generated_secrets',
      `"${name}" cannot name a Podman secret (letters, digits, "_", "." and "-", 253 at most)`,
    )
  }
  return secretName
}

/**
 * The name a `file:` or `blake3:` image is loaded under: `localhost/archy/<app id>:<version>`,
 * with `+` (not allowed in a tag) written as `_`. Registry references are used as they are.
 */
export function resolveImageName(manifest: AppManifest): string {
  const image = manifest.container.image
  if (!image.startsWith('file:') && !image.startsWith('blake3:')) return image
  return `localhost/archy/${manifest.id}:${manifest.version.replace(/\+/g, '_')}`
}

/** Builds the container spec of one app on this node; warnings name unresolved placeholders. */
export function buildContainerSpec(
  manifest: AppManifest,
  context: NodeContext,
  options: BuildSpecOptions = {},
): { spec: ContainerSpec; warnings: string[] } {
  const warnings: string[] = []
  const appDataDir = path.posix.join(context.dataRoot, manifest.id)
  const appDependencies = manifest.dependencies.filter(isAppDependency).map((d) => d.app_id)

  // Placeholders: APP_ID and APP_DATA_DIR always resolve, the node's values when it has them.
  const values: Record<string, string | undefined> = {
    ...context.values,
    APP_ID: manifest.id,
    APP_DATA_DIR: appDataDir,
  }
  const derived = manifest.container.derived_env.map((entry, index) => ({
    key: entry.key,
    value: resolvePlaceholders(entry.template, values, (name) =>
      warnings.push(
        `app.container.derived_env[${index}].template: no value for {{${name}}} on this node; ` +
          'left as written',
      ),
    ),
  }))

  const secrets = manifest.container.secret_env.map((entry) => {
    const ownerAppId = options.secretOwners?.[entry.secret_file] ?? manifest.id
    const secretName = podmanSecretName(ownerAppId, entry.secret_file)
    return { key: entry.key, secretName, ownerAppId, name: entry.secret_file }
  })

  const policy = manifest.security.network_policy
  const network = manifest.container.network
  const spec: ContainerSpec = {
    name: manifest.id,
    appId: manifest.id,
    image: options.image ?? resolveImageName(manifest),
    ...(manifest.container.entrypoint && { entrypoint: [...manifest.container.entrypoint] }),
    ...(manifest.container.command && { command: [...manifest.container.command] }),
    environment: [...manifest.environment.map((e) => ({ key: e.key, value: e.value })), ...derived],
    secrets,
    ports: manifest.ports.map(({ host, container, protocol, bind }) => ({
      host,
      container,
      protocol,
      bind,
    })),
    mounts: manifest.volumes.map((volume, index) =>
      buildMount(volume, `app.volumes[${index}]`, context.dataRoot, manifest.id, appDependencies),
    ),
    network,
    extraNetworks: policy !== 'isolated' && policy !== network ? [policy] : [],
    aliases: [...manifest.network_aliases],
    capabilities: [...manifest.security.capabilities],
    readonlyRoot: manifest.security.readonly_root,
    noNewPrivileges: manifest.security.no_new_privileges,
    ...(manifest.resources.memory_limit !== undefined && {
      memoryLimit: manifest.resources.memory_limit,
    }),
    ...(manifest.resources.cpu_limit !== undefined && { cpuLimit: manifest.resources.cpu_limit }),
    ...(manifest.health_check && { health: buildHealth(manifest.health_check) }),
    labels: { [APP_LABEL]: manifest.id, [VERSION_LABEL]: manifest.version, ...options.labels },
    dependsOn: appDependencies,
    postInstall: manifest.hooks.post_install,
  }
  checkHookDestinations(spec)
  return { spec, warnings }
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g

function resolvePlaceholders(
  template: string,
  values: Record<string, string | undefined>,
  onMissing: (name: string) => void,
): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    const value = values[name]
    if (value !== undefined) return value
    onMissing(name)
    return whole
  })
}

// Bind sources: Archipelago's prefix mapped onto the data root, never anything outside it
// (DESIGN.md §2): the app's own directory read-write, a dependency's directory read-only.
function buildMount(
  volume: Volume,
  at: string,
  dataRoot: string,
  appId: string,
  dependencies: string[],
): ContainerMount {
  const readonly = volume.options.includes('ro')
  const options = volume.options.filter((option) => option !== 'ro' && option !== 'rw')
  if (volume.type === 'tmpfs') return { type: 'tmpfs', target: volume.target, options }
  if (volume.type === 'volume') {
    return { type: 'volume', source: volume.source, target: volume.target, readonly, options }
  }

  const source = path.posix.normalize(volume.source)
  const relative = path.posix.relative(ARCHIPELAGO_DATA_PREFIX, source)
  const owner = relative.split('/')[0] ?? ''
  if (relative === '' || relative.startsWith('..') || path.posix.isAbsolute(relative)) {
    throw new ValidationError(
      `${at}.source`,
      `${volume.source} is outside ${ARCHIPELAGO_DATA_PREFIX}/<app id>`,
    )
  }
  if (owner !== appId && !(readonly && dependencies.includes(owner))) {
    throw new ValidationError(
      `${at}.source`,
      `${volume.source} is not this app's data directory nor, read-only, a dependency's`,
    )
  }
  const mapped = path.posix.join(dataRoot, relative)
  return { type: 'bind', source: mapped, target: volume.target, readonly, options }
}

function buildHealth(check: HealthCheck): ContainerHealth {
  const timing = {
    interval: check.interval,
    timeout: check.timeout,
    retries: check.retries,
    startPeriod: check.start_period,
  }
  if (check.type === 'exec') return { command: [...check.command], ...timing }
  if (check.type === 'tcp') {
    // `-z` where nc has it; busybox's nc lacks it, so fall back to connecting with empty input.
    const port = check.port
    const probe = `nc -z 127.0.0.1 ${port} 2>/dev/null || nc -w 1 127.0.0.1 ${port} </dev/null`
    return { command: ['sh', '-c', probe], ...timing }
  }
  const url = quoteForShell(joinUrl(check.endpoint, check.path))
  const probe = `wget -q -O /dev/null ${url} || curl -fsS -o /dev/null ${url}`
  return { command: ['sh', '-c', probe], ...timing }
}

function joinUrl(endpoint: string, urlPath: string): string {
  if (endpoint.endsWith('/') && urlPath.startsWith('/')) return endpoint + urlPath.slice(1)
  if (!endpoint.endsWith('/') && urlPath !== '' && !urlPath.startsWith('/')) {
    return `${endpoint}/${urlPath}`
  }
  return endpoint + urlPath
}

/** A word for `sh -c`: bare when it is plainly safe, else single-quoted. */
export function quoteForShell(word: string): string {
  if (/^[A-Za-z0-9_./:@%+=,-]+$/.test(word)) return word
  return `'${word.replace(/'/g, `'\\''`)}'`
}
