// The timeout of each ordinary Podman call (a listing, an inspect, a run): 60 s, or what
// ARCHY_PODMAN_TIMEOUT_MS says, read when the agent opens. Calls that take longer by nature
// (an image load, a stop with its grace period, a data copy) keep their own larger bounds.
import { ValidationError } from '../src/errors.js'

export const PODMAN_TIMEOUT_ENV = 'ARCHY_PODMAN_TIMEOUT_MS'
export const DEFAULT_PODMAN_TIMEOUT_MS = 60_000
const MIN_MS = 100
const MAX_MS = 3_600_000

/** The configured timeout in ms; a value that is not a whole number in range names the key. */
export function readPodmanTimeout(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[PODMAN_TIMEOUT_ENV]
  if (raw === undefined || raw === '') return DEFAULT_PODMAN_TIMEOUT_MS
  const value = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN
  if (!(value >= MIN_MS && value <= MAX_MS)) {
    const shown = raw.length > 32 ? `${raw.slice(0, 32)}...` : raw
    throw new ValidationError(
      PODMAN_TIMEOUT_ENV,
      `must be a whole number of milliseconds from ${MIN_MS} to ${MAX_MS}, got "${shown}"`,
    )
  }
  return value
}
