// Waiting for health after a create or start: a container that its restart policy restarted in
// between, or that exited, fails at once naming how it ended, instead of waiting out the timeout.
import { describe, expect, it } from 'vitest'

import type { Exec } from '../../node-agent/exec.js'
import { waitForHealthy } from '../../node-agent/health-wait.js'
import { createPodman } from '../../node-agent/podman.js'

/** A Podman whose `ps` answers each listing in turn (the last one again), healthcheck failing. */
function podmanListing(...listings: Record<string, unknown>[][]) {
  let next = 0
  const exec: Exec = async (_command, args) => {
    const ok = (stdout: string, exitCode = 0) => ({ stdout, stderr: '', exitCode, durationMs: 0 })
    if (args[0] === 'healthcheck') return ok('', 1)
    const listing = listings[Math.min(next, listings.length - 1)]
    next += 1
    return ok(JSON.stringify(listing))
  }
  return createPodman({ exec })
}

const row = (state: string, startedAt: number, exitCode = 0) => ({
  Id: 'a'.repeat(64),
  Names: ['app'],
  State: state,
  StartedAt: startedAt,
  ExitCode: exitCode,
})
const target = { appId: 'app', name: 'app', hasCheck: true }

describe('waitForHealthy', () => {
  it('fails once the container was restarted since the first look', async () => {
    const podman = podmanListing([row('running', 100)], [row('running', 101)])
    await expect(waitForHealthy(podman, target, { timeoutMs: 60_000, pollMs: 1 })).rejects.toThrow(
      'app: the container exited and restarted',
    )
  })

  it('names the exit code of a container that exited', async () => {
    const podman = podmanListing([row('running', 100)], [row('exited', 100, 3)])
    await expect(waitForHealthy(podman, target, { timeoutMs: 60_000, pollMs: 1 })).rejects.toThrow(
      'app: the container exited (exit code 3) after start',
    )
  })

  it('waits out a failing check on a container that stays up, then says so', async () => {
    const podman = podmanListing([row('running', 100)])
    await expect(waitForHealthy(podman, target, { timeoutMs: 20, pollMs: 5 })).rejects.toThrow(
      /app: not healthy after 0 s \(its health check fails\)/,
    )
  })

  // Podman 4.3 says either, depending on when the container stopped (seen in CI).
  it.each([
    'Error: container 8703 is not running',
    'Error: can only start exec sessions when their container is running: container state improper',
  ])(
    'takes a check of a container that exited since it was listed for a failed check: %s',
    async (stderr) => {
      const exec: Exec = async () => ({ stdout: '', stderr, exitCode: 125, durationMs: 0 })
      expect(await createPodman({ exec }).healthcheck('app')).toBe(false)
    },
  )
})
