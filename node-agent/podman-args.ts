// The argv after `podman` that runs a container spec (podman mode). Secrets appear only by
// name; their values stay in Podman's secret store.
import { quoteForShell } from './container-spec.js'
import type { ContainerMount, ContainerSpec } from './container-spec.js'

export interface PodmanRunOptions {
  /** Podman's --restart policy; default unless-stopped. */
  restart?: string
  /** Adds --replace, so an existing container of the same name is replaced. */
  replace?: boolean
}

/** Renders `podman run -d ...` for the spec, without the leading `podman`. */
export function renderPodmanRunArgs(spec: ContainerSpec, options: PodmanRunOptions = {}): string[] {
  const args = ['run', '-d', '--name', spec.name]
  if (options.replace) args.push('--replace')
  for (const [key, value] of Object.entries(spec.labels)) args.push('--label', `${key}=${value}`)

  // Networking: the app's network, the one its policy names, its aliases, published ports.
  for (const network of [spec.network, ...spec.extraNetworks]) args.push('--network', network)
  for (const alias of spec.aliases) args.push('--network-alias', alias)
  for (const port of spec.ports) args.push('-p', renderPublishPort(port))

  for (const mount of spec.mounts) args.push(...renderMountArgs(mount))

  // Security: an empty capability set plus the listed ones.
  args.push('--cap-drop', 'all')
  for (const capability of spec.capabilities) args.push('--cap-add', capability)
  if (spec.readonlyRoot) args.push('--read-only')
  if (spec.noNewPrivileges) args.push('--security-opt', 'no-new-privileges')

  for (const secret of spec.secrets) args.push('--secret', renderSecretOption(secret))
  for (const { key, value } of spec.environment) args.push('-e', `${key}=${value}`)

  if (spec.memoryLimit !== undefined) args.push('--memory', String(spec.memoryLimit))
  if (spec.cpuLimit !== undefined) args.push('--cpus', String(spec.cpuLimit))
  if (spec.health) args.push(...renderHealthArgs(spec.health))

  args.push('--restart', options.restart ?? 'unless-stopped')
  if (spec.entrypoint) args.push('--entrypoint', renderEntrypoint(spec.entrypoint))
  args.push(spec.image, ...(spec.command ?? []))
  return args
}

/** `bind:host:container/proto`; an IPv6 bind address goes in brackets. */
export function renderPublishPort(port: ContainerSpec['ports'][number]): string {
  const bind = port.bind.includes(':') ? `[${port.bind}]` : port.bind
  return `${bind}:${port.host}:${port.container}/${port.protocol}`
}

/** `-v source:target[:options]` for binds and volumes (no SELinux relabel), `--tmpfs` else. */
export function renderMountArgs(mount: ContainerMount): string[] {
  if (mount.type === 'tmpfs') return ['--tmpfs', renderTmpfs(mount)]
  return ['-v', renderVolume(mount)]
}

export function renderVolume(mount: Exclude<ContainerMount, { type: 'tmpfs' }>): string {
  const options = [...(mount.readonly ? ['ro'] : []), ...mount.options]
  const suffix = options.length > 0 ? `:${options.join(',')}` : ''
  return `${mount.source}:${mount.target}${suffix}`
}

export function renderTmpfs(mount: Extract<ContainerMount, { type: 'tmpfs' }>): string {
  return mount.options.length > 0 ? `${mount.target}:${mount.options.join(',')}` : mount.target
}

export function renderSecretOption(secret: ContainerSpec['secrets'][number]): string {
  return `${secret.secretName},type=env,target=${secret.key}`
}

/**
 * Podman reads `--entrypoint` as a JSON array when it parses as one, else as a single program;
 * always writing JSON keeps multi-element entrypoints and odd characters intact.
 */
export function renderEntrypoint(entrypoint: string[]): string {
  return JSON.stringify(entrypoint)
}

/**
 * Podman reads a JSON array of two or more elements as an exec-form check (`CMD`), but runs a
 * lone element through `/bin/sh -c`; that one is shell-quoted so it still names one program.
 */
export function renderHealthCommand(command: string[]): string {
  if (command.length === 1) return JSON.stringify(['CMD-SHELL', quoteForShell(command[0]!)])
  return JSON.stringify(command)
}

/** A Go duration as Podman parses it: `30s`, `1500ms`. */
export function renderDuration(milliseconds: number): string {
  return milliseconds % 1000 === 0 ? `${milliseconds / 1000}s` : `${milliseconds}ms`
}

function renderHealthArgs(health: NonNullable<ContainerSpec['health']>): string[] {
  return [
    '--health-cmd',
    renderHealthCommand(health.command),
    '--health-interval',
    renderDuration(health.interval),
    '--health-timeout',
    renderDuration(health.timeout),
    '--health-retries',
    String(health.retries),
    '--health-start-period',
    renderDuration(health.startPeriod),
  ]
}
