// Choosing the runtime mode (DESIGN.md §5): quadlet needs Podman >= 4.4, its generator and a
// systemd user manager; podman mode runs containers with a restart policy and needs neither.
// `auto` probes; an install keeps its mode unless another is asked for.
import { ArchyError, ValidationError } from '../src/errors.js'
import type { Exec } from './exec.js'
import type { RuntimeMode } from './agent-store.js'
import { findQuadletGenerator } from './quadlet-mode.js'

export type ModeOption = 'auto' | RuntimeMode

/** Parses --mode. */
export function parseModeOption(value: string | undefined): ModeOption {
  const mode = value ?? 'auto'
  if (mode !== 'auto' && mode !== 'quadlet' && mode !== 'podman') {
    throw new ValidationError('--mode', `"${mode}" must be auto, quadlet or podman`)
  }
  return mode
}

/** Why this host cannot run quadlet mode, or undefined when it can. */
export async function checkQuadletHost(
  exec: Exec,
  podmanVersion: string,
): Promise<string | undefined> {
  if (!hasQuadlet(podmanVersion)) {
    return `Podman ${podmanVersion} is older than 4.4`
  }
  try {
    await findQuadletGenerator()
  } catch (error) {
    return (error as Error).message
  }
  const result = await exec('systemctl', ['--user', 'is-system-running'], {
    allowFailure: true,
    timeoutMs: 10_000,
  }).catch((error: Error) => ({ exitCode: -1, stdout: error.message }))
  const state = result.stdout.trim()
  // `degraded` still has a working user manager; anything else (offline, no bus) does not.
  if (result.exitCode !== 0 && state !== 'degraded') {
    return `no systemd user manager (systemctl --user is-system-running: ${state || 'failed'})`
  }
  return undefined
}

/** The mode to install with: auto picks quadlet wherever checkQuadletHost finds no obstacle. */
export async function chooseRuntimeMode(
  option: ModeOption,
  exec: Exec,
  podmanVersion: string,
): Promise<RuntimeMode> {
  if (option === 'podman') return 'podman'
  const reason = await checkQuadletHost(exec, podmanVersion)
  if (reason === undefined) return 'quadlet'
  if (option === 'auto') return 'podman'
  throw new ArchyError(
    'mode-unavailable',
    `--mode quadlet: this host cannot run Quadlet: ${reason}; use --mode podman`,
  )
}

/** Whether a Podman version (`4.3.1`, `5.4.0-rc1`) has Quadlet (4.4 or later). */
export function hasQuadlet(podmanVersion: string): boolean {
  const match = /^(\d+)\.(\d+)/.exec(podmanVersion.trim())
  if (!match) return false
  const [major, minor] = [Number(match[1]), Number(match[2])]
  return major > 4 || (major === 4 && minor >= 4)
}
