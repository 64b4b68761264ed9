// Bounded retries of Podman calls that change nothing or are idempotent, and of `run` after its
// one known race (a network removed before the run, containers/podman#7808). A timeout is never
// retried: a hung Podman stays hung, and the next pass is the retry.
import { ExecError } from '../src/errors.js'
import type { Podman } from './podman.js'

export interface RetryOptions {
  /** Attempts of a read before its last failure is thrown (default 3). */
  attempts?: number
  /** The wait before the second attempt, doubled before each later one (default 250 ms). */
  delayMs?: number
}

const NETWORK_MISSING = /unable to find network with name or ID ([^\s:]+)/

/** The driver with its reads retried and `run` made safe against a vanished network. */
export function withPodmanRetries(podman: Podman, options: RetryOptions = {}): Podman {
  const attempts = options.attempts ?? 3
  const delayMs = options.delayMs ?? 250

  const retry = <A extends unknown[], T>(read: (...args: A) => Promise<T>) => {
    return async (...args: A): Promise<T> => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await read(...args)
        } catch (error) {
          // Only a Podman that answered with a failure; a timeout or a missing binary is final.
          if (!(error instanceof ExecError) || error.code !== 'exec-failed') throw error
          if (attempt >= attempts) throw describeAttempts(error, attempts)
          await new Promise((resolve) => setTimeout(resolve, delayMs * 2 ** (attempt - 1)))
        }
      }
    }
  }

  return {
    ...podman,
    version: retry(podman.version),
    imageExists: retry(podman.imageExists),
    imageId: retry(podman.imageId),
    networkExists: retry(podman.networkExists),
    secretExists: retry(podman.secretExists),
    readSecret: retry(podman.readSecret),
    listContainers: retry(podman.listContainers),
    info: retry(podman.info),
    networkDns: retry(podman.networkDns),
    listNetworks: retry(podman.listNetworks),
    imageVolumes: retry(podman.imageVolumes),
    // Inspecting a container its restart policy is cycling can catch its process gone half way
    // (Podman 4.3: 'read /proc/<pid>/cgroup: no such process'); the next look is a new moment.
    restartState: retry(podman.restartState),
    // Idempotent by its own checks (exists, create, exists again), so safe to try again whole.
    createNetwork: retry(podman.createNetwork),

    // A run is not idempotent and is never retried blindly. The one exception: Podman said the
    // network is gone, so no container was made; the network is made again and the run tried
    // once more.
    async run(args) {
      try {
        return await podman.run(args)
      } catch (error) {
        const network = error instanceof ExecError && NETWORK_MISSING.exec(error.stderr)?.[1]
        if (!network || !args.includes(network)) throw error
        await podman.createNetwork(network)
        return podman.run(args)
      }
    },
  }
}

function describeAttempts(error: ExecError, attempts: number): ExecError {
  return new ExecError('exec-failed', error.command, `${error.message} (${attempts} attempts)`, {
    exitCode: error.exitCode,
    stderr: error.stderr,
    cause: error,
  })
}
