// Quadlet units (podman-systemd.unit(5)) for container specs: one `<name>.container` per app and
// one `<network>.network` per user network, written for a given Podman version: a key its Quadlet
// does not know yet becomes the equivalent PodmanArgs= flag (see quadlet-versions.ts).
import path from 'node:path'

import type { ContainerSpec } from './container-spec.js'
import {
  renderDuration,
  renderEntrypoint,
  renderHealthCommand,
  renderPublishPort,
  renderSecretOption,
  renderTmpfs,
  renderVolume,
} from './podman-args.js'
import { quoteWord, renderRawValue, renderUnitFile, renderWords } from './quadlet-syntax.js'
import { DEFAULT_PODMAN_VERSION, parsePodmanVersion, supportsKey } from './quadlet-versions.js'
import type { PodmanVersion, QuadletKey } from './quadlet-versions.js'

export interface QuadletOptions {
  /** The target host's Podman, e.g. `5.4` or `4.4.1`; default 5.4. */
  podmanVersion?: string
}

export interface UnitFile {
  name: string
  content: string
}

/** Networks Podman provides itself; they get no .network unit. */
const BUILTIN_NETWORKS = new Set(['bridge', 'host', 'none', 'private', 'pasta', 'slirp4netns'])

/** Renders the units of a set of containers (a single app or a stack). */
export function renderQuadletUnits(
  specs: ContainerSpec[],
  options: QuadletOptions = {},
): { files: UnitFile[]; warnings: string[] } {
  const version = parsePodmanVersion(options.podmanVersion ?? DEFAULT_PODMAN_VERSION)
  const warnings: string[] = []
  const files: UnitFile[] = []
  const networks = new Set<string>()

  for (const spec of specs) {
    files.push({ name: `${spec.name}.container`, content: renderContainerUnit(spec, version) })
    warnings.push(...checkHooks(spec))
    for (const network of [spec.network, ...spec.extraNetworks]) {
      if (isUserNetwork(network)) networks.add(network)
    }
  }

  // Before 4.7 a .network unit cannot name its network (it would be systemd-<name>), so the
  // container unit creates the network itself in ExecStartPre= instead.
  if (supportsKey(version, 'NetworkName')) {
    for (const network of networks) files.push(renderNetworkUnit(network))
  }
  return { files, warnings }
}

function isUserNetwork(network: string): boolean {
  return !BUILTIN_NETWORKS.has(network) && !network.includes(':')
}

function renderNetworkUnit(network: string): UnitFile {
  const content = renderUnitFile(
    [`Rendered by archy: the user network ${network}, shared by every app that joins it.`],
    [{ name: 'Network', lines: [`NetworkName=${renderRawValue('network', network)}`] }],
  )
  return { name: `${network}.network`, content }
}

function renderContainerUnit(spec: ContainerSpec, version: PodmanVersion): string {
  const container: string[] = []
  const podmanArgs: string[] = []

  // Writes `Key=value` where the version knows the key, else the flag through PodmanArgs=.
  const put = (key: QuadletKey, value: string, flag: string): void => {
    if (supportsKey(version, key)) container.push(`${key}=${renderRawValue(key, value)}`)
    else podmanArgs.push(`${flag}=${value}`)
  }

  container.push(`ContainerName=${renderRawValue('ContainerName', spec.name)}`)
  container.push(`Image=${renderRawValue('Image', spec.image)}`)
  for (const [key, value] of Object.entries(spec.labels)) {
    container.push(`Label=${quoteWord(`${key}=${value}`)}`)
  }

  // Networks: a user network through its .network unit where one is rendered.
  const named = supportsKey(version, 'NetworkName')
  for (const network of [spec.network, ...spec.extraNetworks]) {
    const reference = named && isUserNetwork(network) ? `${network}.network` : network
    container.push(`Network=${renderRawValue('Network', reference)}`)
  }
  for (const alias of spec.aliases) put('NetworkAlias', alias, '--network-alias')
  for (const port of spec.ports) {
    container.push(`PublishPort=${renderRawValue('PublishPort', renderPublishPort(port))}`)
  }

  for (const mount of spec.mounts) {
    if (mount.type === 'tmpfs') put('Tmpfs', renderTmpfs(mount), '--tmpfs')
    else container.push(`Volume=${renderRawValue('Volume', renderVolume(mount))}`)
  }

  // Security: drop every capability, add back the listed ones.
  container.push('DropCapability=all')
  if (spec.capabilities.length > 0) container.push(`AddCapability=${spec.capabilities.join(' ')}`)
  if (spec.readonlyRoot) {
    container.push('ReadOnly=true')
    // Keep Podman's tmpfs on /tmp, /run and /var/tmp, as `podman run --read-only` does.
    container.push(
      supportsKey(version, 'ReadOnlyTmpfs') ? 'ReadOnlyTmpfs=true' : 'VolatileTmp=true',
    )
  }
  if (spec.noNewPrivileges) container.push('NoNewPrivileges=true')

  for (const secret of spec.secrets) put('Secret', renderSecretOption(secret), '--secret')
  for (const { key, value } of spec.environment) {
    container.push(`Environment=${quoteWord(`${key}=${value}`)}`)
  }

  if (spec.memoryLimit !== undefined) put('Memory', String(spec.memoryLimit), '--memory')
  if (spec.cpuLimit !== undefined) podmanArgs.push(`--cpus=${spec.cpuLimit}`)
  if (spec.health) {
    put('HealthCmd', renderHealthCommand(spec.health.command), '--health-cmd')
    put('HealthInterval', renderDuration(spec.health.interval), '--health-interval')
    put('HealthTimeout', renderDuration(spec.health.timeout), '--health-timeout')
    put('HealthRetries', String(spec.health.retries), '--health-retries')
    put('HealthStartPeriod', renderDuration(spec.health.startPeriod), '--health-start-period')
  }
  if (spec.entrypoint) put('Entrypoint', renderEntrypoint(spec.entrypoint), '--entrypoint')
  if (podmanArgs.length > 0) container.push(`PodmanArgs=${renderWords(podmanArgs)}`)
  if (spec.command && spec.command.length > 0) container.push(`Exec=${renderWords(spec.command)}`)

  return renderUnitFile(
    [
      `Rendered by archy for app ${spec.appId}; edits are overwritten on the next install.`,
      'Quadlet recreates the container on every start: state lives in volumes and bind mounts.',
    ],
    [
      { name: 'Unit', lines: renderUnitSection(spec) },
      { name: 'Container', lines: container },
      { name: 'Service', lines: renderServiceSection(spec, named) },
      { name: 'Install', lines: ['WantedBy=default.target'] },
    ],
  )
}

function renderUnitSection(spec: ContainerSpec): string[] {
  const lines = [`Description=${renderRawValue('Description', `Archipelago app ${spec.appId}`)}`]
  for (const dependency of spec.dependsOn) {
    lines.push(`Requires=${dependency}.service`, `After=${dependency}.service`)
  }
  return lines
}

/** Seconds a start may take: Podman may load the image (as `podman load` is given 300 s). */
const IMAGE_LOAD_SECONDS = 300
/** Seconds each post_install step may take (as podman mode gives `podman cp`). */
const HOOK_SECONDS = 120
const MIN_START_SECONDS = 900

/**
 * TimeoutStartSec= covering an image load, every hook and the health check's whole window
 * (start period plus each retry's interval and timeout), and never under 15 minutes.
 */
export function startTimeoutSeconds(spec: ContainerSpec): number {
  const health = spec.health
  const healthMs = health
    ? health.startPeriod + health.retries * (health.interval + health.timeout)
    : 0
  const total = IMAGE_LOAD_SECONDS + spec.postInstall.length * HOOK_SECONDS + healthMs / 1000
  return Math.max(MIN_START_SECONDS, Math.ceil(total))
}

function renderServiceSection(spec: ContainerSpec, namedNetworks: boolean): string[] {
  const lines = ['Restart=always', `TimeoutStartSec=${startTimeoutSeconds(spec)}`]
  if (!namedNetworks) {
    for (const network of [spec.network, ...spec.extraNetworks].filter(isUserNetwork)) {
      lines.push(
        `ExecStartPre=${renderWords(['podman', 'network', 'create', '--ignore', network])}`,
      )
    }
  }
  if (spec.postInstall.length === 0) return lines

  // Hooks (DESIGN.md §4) run after every start, since Quadlet recreates the container each time,
  // so they must be idempotent. systemd runs them once the container has started, not once it is
  // healthy; a failing step fails the unit, and all of them share TimeoutStartSec=.
  lines.push('# post_install hooks: idempotent steps, rerun after every start')
  for (const step of spec.postInstall) {
    const words =
      'exec' in step
        ? ['podman', 'exec', spec.name, ...step.exec.command]
        : ['podman', 'cp', step.copy_from_host.src, `${spec.name}:${step.copy_from_host.dest}`]
    lines.push(`ExecStartPost=${renderWords(words)}`)
  }
  return lines
}

// The agent renders specs whose sources resolveUnitHookSources (units.ts) made the release's
// verified files, as podman mode copies them; `archy app render` has no release to resolve in.
function checkHooks(spec: ContainerSpec): string[] {
  const warnings: string[] = []
  spec.postInstall.forEach((step, index) => {
    if ('copy_from_host' in step && !path.isAbsolute(step.copy_from_host.src)) {
      warnings.push(
        `${spec.appId}: app.hooks.post_install[${index}].copy_from_host.src: ` +
          `${step.copy_from_host.src} is relative; the unit needs an absolute host path`,
      )
    }
  })
  return warnings
}
