// What an app asks of the host that installs it, read from its release's manifests (the whole
// stack), and the exact commands that install it from this registry.
import type { AppManifest, Volume } from '../../src/manifest/types.js'
import { isAppDependency } from '../../src/manifest/types.js'

export interface HostNeeds {
  /** One line per published port: `127.0.0.1:8080 -> 80/tcp (gated)`. */
  ports: string[]
  volumes: string[]
  /** Secrets the agent generates once on the node; their values are never shown anywhere. */
  secrets: string[]
  capabilities: string[]
  /** Other apps and free space it needs. */
  dependencies: string[]
  resources: string[]
  /** The network it joins and how its container is locked down. */
  isolation: string[]
}

/** The host needs of one manifest. */
export function describeHostNeeds(manifest: AppManifest): HostNeeds {
  return {
    ports: manifest.ports.map(
      (port) =>
        `${port.bind}:${port.host} -> ${port.container}/${port.protocol} (${port.auth}` +
        `${port.auth_rationale ? `: ${port.auth_rationale}` : ''})`,
    ),
    volumes: manifest.volumes.map(describeVolume),
    secrets: describeSecrets(manifest),
    capabilities: manifest.security.capabilities,
    dependencies: manifest.dependencies.map((dependency) =>
      isAppDependency(dependency)
        ? `app ${dependency.app_id}${dependency.version ? ` ${dependency.version}` : ''}`
        : `${formatBytes(dependency.storage)} free under the data root`,
    ),
    resources: [
      ...(manifest.resources.memory_limit !== undefined
        ? [`memory up to ${formatBytes(manifest.resources.memory_limit)}`]
        : []),
      ...(manifest.resources.cpu_limit !== undefined
        ? [`up to ${manifest.resources.cpu_limit} CPU core(s)`]
        : []),
    ],
    isolation: [
      `network ${manifest.container.network} (${manifest.security.network_policy})`,
      manifest.security.readonly_root ? 'read-only root file system' : 'writable root file system',
      ...(manifest.security.no_new_privileges ? ['no new privileges'] : []),
    ],
  }
}

/**
 * The commands that install `address` from this registry: follow it (pinning the operator DID),
 * then install. `archy agent install` takes no URL: it installs from the followed catalogs.
 */
export function buildInstallCommands(
  registry: { url: string; did: string },
  address: string,
): string[] {
  return [
    `archy agent add-registry ${quoteShellWord(registry.url)} ` +
      `--did ${quoteShellWord(registry.did)}`,
    `archy agent install ${quoteShellWord(address)}`,
  ]
}

/** A word as a POSIX shell reads it back unchanged: bare when safe, else single-quoted. */
export function quoteShellWord(word: string): string {
  if (/^[A-Za-z0-9@%+=:,./_-]+$/.test(word)) return word
  return `'${word.replace(/'/g, `'\\''`)}'`
}

function describeSecrets(manifest: AppManifest): string[] {
  const uses = manifest.container.secret_env
  const own = manifest.generated_secrets.map((secret) => {
    const keys = uses.filter((use) => use.secret_file === secret.name).map((use) => use.key)
    const given = keys.length > 0 ? `, given as ${keys.join(', ')}` : ''
    return `${secret.name}: ${secret.length} ${secret.charset} characters, made once${given}`
  })
  const borrowed = uses
    .filter((use) => !manifest.generated_secrets.some((secret) => secret.name === use.secret_file))
    .map((use) => `${use.secret_file} (a dependency's secret), given as ${use.key}`)
  return [...own, ...borrowed]
}

function describeVolume(volume: Volume): string {
  const options = volume.options.length > 0 ? ` (${volume.options.join(', ')})` : ''
  if (volume.type === 'tmpfs') return `tmpfs at ${volume.target}${options}`
  const kind = volume.type === 'bind' ? 'host directory' : 'named volume'
  return `${kind} ${volume.source} at ${volume.target}${options}`
}

function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`
  }
  return `${bytes} bytes`
}
