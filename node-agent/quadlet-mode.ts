// Quadlet mode (DESIGN.md §5): the app's units go into the user's Quadlet directory and systemd
// runs them. One unreadable file makes the generator drop every unit of its directory, so the new
// units are staged beside it, checked with the generator's `-dryrun`, and only then renamed into
// place one by one (each rename atomic); then `systemctl --user daemon-reload`.
import { randomBytes } from 'node:crypto'
import { access, constants, mkdir, readlink, rename, rm, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import path from 'node:path'

import { ArchyError } from '../src/errors.js'
import type { AgentPaths } from './agent-paths.js'
import type { Exec } from './exec.js'
import type { UnitFile } from './quadlet.js'

const GENERATOR_CANDIDATES = ['/usr/libexec/podman/quadlet', '/usr/lib/podman/quadlet']
const SYSTEMCTL_TIMEOUT_MS = 120_000
/** Long enough for a unit whose start loads an image and waits for its hooks. */
const START_TIMEOUT_MS = 960_000

export interface QuadletModeOptions {
  exec: Exec
  paths: Pick<AgentPaths, 'quadletDir'>
  /** The generator binary; default ARCHY_QUADLET_BIN or Podman's own place. */
  generator?: string
}

/** The Quadlet generator: ARCHY_QUADLET_BIN, else where Podman installs it. */
export async function findQuadletGenerator(): Promise<string> {
  const configured = process.env.ARCHY_QUADLET_BIN
  for (const candidate of configured ? [configured] : GENERATOR_CANDIDATES) {
    try {
      await access(candidate, constants.X_OK)
      return candidate
    } catch {
      continue
    }
  }
  throw new ArchyError(
    'mode-unavailable',
    `quadlet mode: no Quadlet generator at ${GENERATOR_CANDIDATES.join(' or ')} ` +
      '(set ARCHY_QUADLET_BIN)',
  )
}

/** The systemd service Quadlet generates for a container unit. */
export function serviceOf(containerName: string): string {
  return `${containerName}.service`
}

/**
 * Installs an app's units: staged, dry-run checked (every generated service present, exit 0),
 * renamed into place; units the app had before and no longer has are removed. `previous` names
 * the file names it had.
 */
export async function installQuadletUnits(
  options: QuadletModeOptions,
  files: UnitFile[],
  previous: string[],
): Promise<void> {
  const dir = options.paths.quadletDir
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const staging = path.join(path.dirname(dir), `.archy-staging-${randomBytes(6).toString('hex')}`)
  await mkdir(staging, { mode: 0o700 })
  try {
    for (const file of files) {
      await writeFile(path.join(staging, file.name), file.content, { mode: 0o600 })
    }
    await checkWithDryRun(options, staging, files)
    for (const file of files) await rename(path.join(staging, file.name), path.join(dir, file.name))
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
  const kept = new Set(files.map((file) => file.name))
  for (const name of previous) {
    // A shared network's unit stays: another app may join that network.
    if (!kept.has(name) && name.endsWith('.container')) {
      await rm(path.join(dir, name), { force: true })
    }
  }
  await systemctl(options.exec, ['daemon-reload'])
}

/** Removes the app's container units (its networks' units stay, as networks may be shared). */
export async function removeQuadletUnits(
  options: QuadletModeOptions,
  containerNames: string[],
): Promise<void> {
  for (const name of containerNames) {
    await systemctl(options.exec, ['stop', serviceOf(name)], { allowMissing: true })
    await rm(path.join(options.paths.quadletDir, `${name}.container`), { force: true })
    if (await isHeld(name)) await rm(maskLinkOf(name), { force: true })
  }
  await systemctl(options.exec, ['daemon-reload'])
}

/**
 * Starts, stops or restarts one app's service (a start waits for ExecStartPost= hooks). A start
 * or restart first lifts holdService's mask, if there is one.
 */
export async function controlService(
  exec: Exec,
  verb: 'start' | 'stop' | 'restart',
  containerName: string,
): Promise<void> {
  if (verb !== 'stop' && (await isHeld(containerName))) {
    await systemctl(exec, ['unmask', serviceOf(containerName)])
  }
  await systemctl(exec, [verb, serviceOf(containerName)], {
    timeoutMs: verb === 'stop' ? SYSTEMCTL_TIMEOUT_MS : START_TIMEOUT_MS,
  })
}

/**
 * Stops an app's service for good: a generated unit cannot be disabled, and its
 * WantedBy=default.target would start it at the next boot, so it is masked as well (a link to
 * /dev/null in the user's systemd directory) until controlService starts it again.
 */
export async function holdService(exec: Exec, containerName: string): Promise<void> {
  await systemctl(exec, ['mask', '--now', serviceOf(containerName)])
}

/** Where `systemctl --user mask` links a service: the user's systemd configuration directory. */
export function maskLinkOf(containerName: string): string {
  const config = process.env.XDG_CONFIG_HOME ?? path.join(homedir(), '.config')
  return path.join(config, 'systemd', 'user', serviceOf(containerName))
}

async function isHeld(containerName: string): Promise<boolean> {
  const target = await readlink(maskLinkOf(containerName)).catch(() => undefined)
  return target === '/dev/null'
}

async function checkWithDryRun(
  options: QuadletModeOptions,
  staging: string,
  files: UnitFile[],
): Promise<void> {
  const generator = options.generator ?? (await findQuadletGenerator())
  const result = await options.exec(generator, ['-dryrun', '-user'], {
    env: { QUADLET_UNIT_DIRS: staging },
    allowFailure: true,
    timeoutMs: 30_000,
  })
  const generated = new Set(
    [...result.stdout.matchAll(/^---(.+?)---$/gm)].map((match) => match[1]!.trim()),
  )
  const missing = files
    .filter((file) => file.name.endsWith('.container'))
    .map((file) => file.name.replace(/\.container$/, '.service'))
    .filter((service) => !generated.has(service))
  if (result.exitCode === 0 && missing.length === 0) return
  const problems = result.stderr
    .split('\n')
    .filter((line) => /converting|error/i.test(line))
    .map((line) =>
      line
        .replace(/^quadlet-generator\[\d+\]: /, '')
        .split(staging)
        .join('<units>'),
    )
  throw new ArchyError(
    'quadlet-refused',
    `the Quadlet generator refused the units (nothing was installed): ` +
      (problems.length > 0 ? problems.join('; ') : `no ${missing.join(', ')} generated`),
  )
}

async function systemctl(
  exec: Exec,
  args: string[],
  options: { timeoutMs?: number; allowMissing?: boolean } = {},
): Promise<void> {
  const result = await exec('systemctl', ['--user', ...args], {
    timeoutMs: options.timeoutMs ?? SYSTEMCTL_TIMEOUT_MS,
    allowFailure: true,
  })
  if (result.exitCode === 0) return
  // `stop` of a unit systemd no longer knows (removed, never loaded) is what we want.
  if (options.allowMissing && /not loaded|does not exist|not found/i.test(result.stderr)) return
  const last = result.stderr.trim().split('\n').pop() ?? ''
  throw new ArchyError(
    'systemctl-failed',
    `systemctl --user ${args.join(' ')}: exited with ${result.exitCode}${last ? `: ${last}` : ''}`,
  )
}
