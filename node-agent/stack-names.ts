// A stack's members reach each other by container name and network alias, through Podman's DNS
// (aardvark-dns at each network's gateway). In podman mode, after the agent starts members, it asks
// that DNS for their names and, when it does not answer, sets their network up again with
// `podman network reload`. Measured on Podman 4.3 (aardvark-dns 1.4): once every container of a
// network has stopped, starting them again often leaves it answering none of the names (README).
import { readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { ArchyError } from '../src/errors.js'
import type { Agent } from './agent-context.js'
import type { InstalledApp } from './installed-app.js'

/** The error code of a stack whose names do not resolve after every repair. */
export const STACK_NAMES_ERROR = 'stack-names'

/** Whether a recorded error is this check's: a pass checks such an app again until it holds. */
export function isStackNamesError(message: string | null): boolean {
  return message !== null && /^network \S+: Podman's DNS /.test(message)
}

/** Network reloads tried before giving up, and the wait after the first (doubled each time). */
const REPAIRS = 4
const FIRST_WAIT_MS = 500

export interface StackNamesOptions {
  /** The wait after the first reload, doubled after each later one (default 500 ms). */
  firstWaitMs?: number
  /** aardvark-dns's config folder; default `$XDG_RUNTIME_DIR/containers/networks/aardvark-dns`. */
  dnsConfigDir?: string
}

export interface NetworkNames {
  network: string
  /** The members' container names on it. */
  containers: string[]
  /** Every name that must resolve there: container names and network aliases. */
  names: string[]
}

/**
 * The networks where the app's members are found by name: those holding two members or more, or
 * a member with network aliases. A lone container on its network needs no DNS from the agent.
 */
export function listNetworkNames(app: InstalledApp): NetworkNames[] {
  const byNetwork = new Map<string, NetworkNames>()
  for (const member of app.members) {
    const record = app.records.find((candidate) => candidate.appId === member.manifest.id)
    const container = record?.containerName ?? member.spec.name
    const entry = byNetwork.get(member.spec.network) ?? {
      network: member.spec.network,
      containers: [],
      names: [],
    }
    entry.containers.push(container)
    entry.names.push(container, ...member.spec.aliases)
    byNetwork.set(member.spec.network, entry)
  }
  return [...byNetwork.values()].filter(
    (entry) => entry.containers.length > 1 || entry.names.length > entry.containers.length,
  )
}

/**
 * Makes sure each of the app's name-bearing networks answers its names, reloading the network
 * while it does not; returns how many reloads it took. Throws `stack-names` when names still
 * do not resolve after every reload: the containers run, but cannot reach each other.
 */
export async function ensureStackNames(
  agent: Agent,
  app: InstalledApp,
  options: StackNamesOptions = {},
): Promise<number> {
  const settings = {
    firstWaitMs: options.firstWaitMs ?? FIRST_WAIT_MS,
    dnsConfigDir: options.dnsConfigDir ?? findDnsConfigDir(),
  }
  let reloads = 0
  for (const entry of listNetworkNames(app)) {
    try {
      reloads += await ensureNetworkNames(agent, entry, settings)
    } catch (error) {
      if (error instanceof ArchyError && error.code === STACK_NAMES_ERROR) throw error
      // A check Podman could not run is retried by the next pass, as a failed one is.
      throw new ArchyError(
        STACK_NAMES_ERROR,
        `network ${entry.network}: Podman's DNS could not be checked: ${(error as Error).message}`,
        { cause: error },
      )
    }
  }
  return reloads
}

async function ensureNetworkNames(
  agent: Agent,
  entry: NetworkNames,
  settings: Required<Pick<StackNamesOptions, 'firstWaitMs'>> & { dnsConfigDir?: string },
): Promise<number> {
  const dns = await agent.podman.networkDns(entry.network)
  const server = dns.gateways[0]
  if (!dns.dnsEnabled || server === undefined) return 0

  let missing = await findMissing(agent, server, entry.names)
  if (missing.length > 0 && settings.dnsConfigDir !== undefined) {
    await removeGhostConfigs(agent, settings.dnsConfigDir, server)
  }
  let reloads = 0
  while (missing.length > 0 && reloads < REPAIRS) {
    await agent.podman.reloadNetworks(entry.containers)
    await new Promise((resolve) => setTimeout(resolve, settings.firstWaitMs * 2 ** reloads))
    reloads += 1
    missing = await findMissing(agent, server, entry.names)
  }
  if (missing.length > 0) {
    throw new ArchyError(
      STACK_NAMES_ERROR,
      `network ${entry.network}: Podman's DNS (aardvark-dns at ${server}) does not answer ` +
        `${missing.join(', ')} after ${REPAIRS} podman network reloads, so the members ` +
        'cannot reach each other by name; the next reconcile tries again (README, ' +
        'Limitations: a host whose PID 1 does not reap orphans leaves aardvark-dns defunct)',
    )
  }
  return reloads
}

function findDnsConfigDir(): string | undefined {
  const runtime = process.env.XDG_RUNTIME_DIR
  return runtime ? join(runtime, 'containers', 'networks', 'aardvark-dns') : undefined
}

/**
 * Removes aardvark-dns's config files of networks Podman no longer has that claim `server`, the
 * gateway of a live network: Podman deletes a network's file once its last container is torn
 * down, so one is left only by a teardown cut short (a Podman call killed), and aardvark-dns may
 * then answer the live network's queries from the dead one's names. Files of networks Podman
 * knows, and of gateways other than `server`, are never touched.
 */
export async function removeGhostConfigs(
  agent: Agent,
  dir: string,
  server: string,
): Promise<string[]> {
  const files = await readdir(dir).catch(() => [] as string[])
  if (files.length === 0) return []
  const known = new Set(await agent.podman.listNetworks())
  const removed: string[] = []
  for (const file of files) {
    if (file === 'aardvark.pid' || known.has(file)) continue
    const text = await readFile(join(dir, file), 'utf8').catch(() => '')
    const gateways = (text.split('\n')[0] ?? '').split(',').map((ip) => ip.trim())
    if (!gateways.includes(server)) continue
    await rm(join(dir, file), { force: true })
    removed.push(file)
  }
  return removed
}

async function findMissing(agent: Agent, server: string, names: string[]): Promise<string[]> {
  const resolved = await agent.podman.resolveNames(server, [...new Set(names)])
  return Object.keys(resolved).filter((name) => !resolved[name])
}
