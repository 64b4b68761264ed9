// Waiting for a container to be ready after create or start: its health check passes (run by us
// through `podman healthcheck run`), or, without one, it is running. Bounded in time.
import { ArchyError } from '../src/errors.js'
import type { Podman } from './podman.js'

export interface HealthTarget {
  appId: string
  /** The container's name (an adopted one may have a legacy name). */
  name: string
  /** Whether the container has a health check to run. */
  hasCheck: boolean
}

export interface HealthWaitOptions {
  timeoutMs: number
  pollMs?: number
}

/** Resolves once the container is healthy (or running); fails naming the app after the timeout. */
export async function waitForHealthy(
  podman: Podman,
  target: HealthTarget,
  options: HealthWaitOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs
  const pollMs = options.pollMs ?? 1000
  let startedAt: string | undefined
  for (;;) {
    const container = (await podman.listContainers()).find((c) => c.name === target.name)
    if (!container) throw new ArchyError('unhealthy', `${target.appId}: the container disappeared`)
    // A restart policy restarting it in between (it exited) is a failure too (crash-loop.ts).
    startedAt ??= container.startedAt
    if (container.startedAt !== undefined && container.startedAt !== startedAt) {
      throw new ArchyError('unhealthy', `${target.appId}: the container exited and restarted`)
    }
    if (container.state === 'exited' || container.state === 'stopped') {
      const code = container.exitCode === undefined ? '' : ` (exit code ${container.exitCode})`
      throw new ArchyError(
        'unhealthy',
        `${target.appId}: the container ${container.state}${code} after start`,
      )
    }
    let last = `it is ${container.state}`
    if (container.state === 'running') {
      if (!target.hasCheck || (await podman.healthcheck(target.name))) return
      last = 'its health check fails'
    }
    if (Date.now() >= deadline) {
      throw new ArchyError(
        'unhealthy',
        `${target.appId}: not healthy after ${Math.round(options.timeoutMs / 1000)} s (${last}); ` +
          'its data is kept',
      )
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
}
