// The typed Podman driver: every call goes through the Exec seam with a timeout. Containers always
// run detached (SIGTERM to an attached `podman run` reaches the container) and runs are serialized.
import { resolve } from 'node:path'
import { ArchyError, ExecError, ValidationError } from '../src/errors.js'
import { execCommand } from './exec.js'
import type { Exec, ExecOptions, ExecResult } from './exec.js'
import {
  parseContainerList,
  parseImageId,
  parseImageVolumes,
  parseInfo,
  parseLoadedImages,
  parseNetworkDns,
  parseResolvedNames,
} from './podman-output.js'
import { readFileDriverSecret } from './podman-secret-read.js'
import type { NetworkDns, PodmanContainer, PodmanInfo } from './podman-output.js'

export type { NetworkDns, PodmanContainer, PodmanInfo } from './podman-output.js'

export interface Podman {
  version(): Promise<string>
  /** Names (or ids) that `podman load` reports. */
  loadImage(archivePath: string): Promise<string[]>
  tagImage(source: string, target: string): Promise<void>
  /** Removes one name from the image it names (the image stays under its other names or ID). */
  untagImage(name: string): Promise<void>
  imageExists(ref: string): Promise<boolean>
  /** The 64-hex ID of the image a name or ID refers to now; undefined when there is none. */
  imageId(ref: string): Promise<string | undefined>
  /** The paths an image declares as VOLUME (its config's Volumes), sorted; [] for none. */
  imageVolumes(ref: string): Promise<string[]>
  networkExists(name: string): Promise<boolean>
  /** Idempotent. */
  createNetwork(name: string): Promise<void>
  secretExists(name: string): Promise<boolean>
  /** The value travels only in the child's environment; it is never an argument or logged. */
  createSecret(name: string, value: string): Promise<void>
  /** A secret's value read back from Podman's file driver; undefined when there is none. */
  readSecret(name: string): Promise<string | undefined>
  /** Ok if missing. */
  removeSecret(name: string): Promise<void>
  /** Removes a named volume and its contents; ok if missing, fails while a container uses it. */
  removeVolume(name: string): Promise<void>
  /** One `podman ps -a --format json` call. */
  listContainers(): Promise<PodmanContainer[]>
  /** Args from renderPodmanRunArgs, starting with 'run'; returns the container id. */
  run(args: string[]): Promise<string>
  start(name: string): Promise<void>
  /** Whether Podman serves names on a network, and its IPv4 gateways. */
  networkDns(name: string): Promise<NetworkDns>
  /**
   * Asks the DNS server at `server` (a network's gateway, where aardvark-dns answers) for each
   * name, from inside the rootless network namespace; true for each name that resolved.
   */
  resolveNames(server: string, names: string[]): Promise<Record<string, boolean>>
  /** The names of every network Podman knows. */
  listNetworks(): Promise<string[]>
  /** `podman network reload`: the containers' networks set up again, aardvark-dns with them. */
  reloadNetworks(containers: string[]): Promise<void>
  /** Removes a network no container uses; false (not an error) while one still does. */
  removeUnusedNetwork(name: string): Promise<boolean>
  stop(name: string, timeoutSeconds?: number): Promise<void>
  /** `rm -f` (Podman's 10 s stop grace; stop first to choose it), ok if missing. */
  remove(name: string): Promise<void>
  /** Runs a command in a container; a non-zero exit is returned, not thrown. */
  exec(name: string, command: string[]): Promise<ExecResult>
  /**
   * A container's state and how often its restart policy restarted it since it was last started
   * by hand (`podman start` resets the count).
   */
  restartState(name: string): Promise<{ state: string; restarts: number }>
  /** Runs the container's health check once: true when healthy. */
  healthcheck(name: string): Promise<boolean>
  /** `podman unshare chown -R uid:gid path`: ownership as seen inside the user namespace. */
  unshareChown(path: string, uid: number, gid: number): Promise<void>
  info(): Promise<PodmanInfo>
}

export interface PodmanOptions {
  exec?: Exec
  binary?: string
  timeoutMs?: number
}

const LOAD_TIMEOUT_MS = 300_000
// What `podman healthcheck run` says of a check past its own timeout, or of a container that
// stopped since it was listed (Podman 4.3 words that two ways, depending on the moment).
const FAILED_CHECK = new RegExp(
  'healthcheck command exceeded timeout|is not running|' +
    'only start exec sessions when their container is running',
)
const SECRET_ENV = 'ARCHY_SECRET_VALUE'
// The name check runs this Node.js's own binary inside the rootless network namespace, where
// the networks' gateways are: no tool in any image is needed. Arguments: server, then names.
const RESOLVE_SCRIPT = [
  "const { Resolver } = require('node:dns').promises",
  'const [server, ...names] = process.argv.slice(1)',
  'const resolver = new Resolver({ timeout: 1000, tries: 2 })',
  'resolver.setServers([server])',
  'const look = (name) => resolver.resolve4(name).then(() => [name, true], () => [name, false])',
  'const print = (found) => console.log(JSON.stringify(Object.fromEntries(found)))',
  'Promise.all(names.map(look)).then(print)',
].join('; ')

/** A driver over `exec`; Podman runs in `/`, so relative paths are resolved here first. */
export function createPodman(options: PodmanOptions = {}): Podman {
  const exec = options.exec ?? execCommand
  const binary = options.binary ?? 'podman'
  const timeoutMs = options.timeoutMs ?? 60_000
  let runQueue: Promise<unknown> = Promise.resolve()

  const podman = (args: string[], extra: ExecOptions = {}): Promise<ExecResult> =>
    exec(binary, args, { timeoutMs, cwd: '/', ...extra })

  // `image exists`, `network exists`: exit 0 yes, 1 no, anything else is a failure.
  const exists = async (args: string[]): Promise<boolean> => {
    const result = await podman(args, { allowFailure: true })
    if (result.exitCode === 0 || result.exitCode === 1) return result.exitCode === 0
    throw failure(binary, args, result)
  }

  // `run` of a name another container holds. One `podman ps` did not list is a storage-only
  // container (an interrupted `podman run` leaves one; buildah makes them): never removed here.
  const describeNameInUse = async (args: string[], result: ExecResult) => {
    if (!/the container name .* is already in use/.test(result.stderr)) return undefined
    const name = args[args.indexOf('--name') + 1] ?? ''
    const known = await exists(['container', 'exists', name])
    return new ArchyError(
      'name-in-use',
      known
        ? `podman run: a container named ${name} appeared after the listing; the next ` +
            'reconcile decides what to do with it'
        : `podman run: the name ${name} is held by a container podman ps does not list (a ` +
            'storage-only container, left by an interrupted podman run or made by buildah); ' +
            `the agent never removes what it does not know: remove it with podman rm --force ` +
            `${name} (or buildah rm ${name}), then reconcile`,
    )
  }

  return {
    async version() {
      return (await podman(['version', '--format', '{{.Client.Version}}'])).stdout.trim()
    },

    async loadImage(archivePath) {
      const result = await podman(['load', '--input', resolve(archivePath)], {
        timeoutMs: Math.max(timeoutMs, LOAD_TIMEOUT_MS),
      })
      const images = parseLoadedImages(result.stdout)
      if (images.length === 0) {
        throw new ArchyError('podman-output', `podman load ${archivePath}: no image reported`)
      }
      return images
    },

    async tagImage(source, target) {
      await podman(['tag', source, target])
    },

    async untagImage(name) {
      await podman(['untag', name, name])
    },

    imageExists: (ref) => exists(['image', 'exists', ref]),

    async imageId(ref) {
      const args = ['image', 'inspect', '--format', '{{.Id}}', ref]
      const result = await podman(args, { allowFailure: true })
      if (result.exitCode === 0) return parseImageId(result.stdout, ref)
      if (/image not known|no such image|no such object/i.test(result.stderr)) return undefined
      throw failure(binary, args, result)
    },

    async imageVolumes(ref) {
      const args = ['image', 'inspect', '--format', '{{json .Config.Volumes}}', ref]
      return parseImageVolumes((await podman(args)).stdout, ref)
    },

    networkExists: (name) => exists(['network', 'exists', name]),

    async createNetwork(name) {
      if (await exists(['network', 'exists', name])) return
      const result = await podman(['network', 'create', name], { allowFailure: true })
      // Another caller may have made it in between.
      if (result.exitCode !== 0 && !(await exists(['network', 'exists', name]))) {
        throw failure(binary, ['network', 'create', name], result)
      }
    },

    async networkDns(name) {
      return parseNetworkDns((await podman(['network', 'inspect', name])).stdout, name)
    },

    async resolveNames(server, names) {
      const args = ['unshare', '--rootless-netns', process.execPath, '-e', RESOLVE_SCRIPT]
      const result = await podman([...args, server, ...names], { allowFailure: true })
      if (result.exitCode === 0) return parseResolvedNames(result.stdout, names)
      // Named without the script, which would fill the message.
      const shown = ['unshare', '--rootless-netns', 'node', '(name check)', server, ...names]
      throw failure(binary, shown, result)
    },

    async listNetworks() {
      const result = await podman(['network', 'ls', '--format', '{{.Name}}'])
      return result.stdout.split('\n').filter((line) => line.trim() !== '')
    },

    async reloadNetworks(containers) {
      await podman(['network', 'reload', ...containers])
    },

    async removeUnusedNetwork(name) {
      const result = await podman(['network', 'rm', name], { allowFailure: true })
      return result.exitCode === 0
    },

    async secretExists(name) {
      const result = await podman(['secret', 'inspect', name], { allowFailure: true })
      if (result.exitCode === 0) return true
      if (/no such secret/i.test(result.stderr)) return false
      throw failure(binary, ['secret', 'inspect', name], result)
    },

    async createSecret(name, value) {
      if (value.length === 0) throw new ValidationError('value', `secret ${name} is empty`)
      await podman(['secret', 'create', '--env', name, SECRET_ENV], {
        env: { [SECRET_ENV]: value },
        redact: [value],
      })
    },

    async readSecret(name) {
      const args = ['secret', 'inspect', name]
      const result = await podman(args, { allowFailure: true })
      if (result.exitCode !== 0 && /no such secret/i.test(result.stderr)) return undefined
      if (result.exitCode !== 0) throw failure(binary, args, result)
      return readFileDriverSecret(name, result.stdout)
    },

    async removeSecret(name) {
      const result = await podman(['secret', 'rm', name], { allowFailure: true })
      if (result.exitCode !== 0 && !/no such secret/i.test(result.stderr)) {
        throw failure(binary, ['secret', 'rm', name], result)
      }
    },

    async removeVolume(name) {
      const result = await podman(['volume', 'rm', name], { allowFailure: true })
      if (result.exitCode !== 0 && !/no such volume/i.test(result.stderr)) {
        throw failure(binary, ['volume', 'rm', name], result)
      }
    },

    async listContainers() {
      return parseContainerList((await podman(['ps', '-a', '--format', 'json'])).stdout)
    },

    async run(args) {
      const detached = checkRunArgs(args)
      // Concurrent `run --replace` of one name races inside Podman: one run at a time.
      const next = runQueue.then(async () => {
        const result = await podman(detached, { allowFailure: true })
        if (result.exitCode !== 0) {
          throw (await describeNameInUse(detached, result)) ?? failure(binary, detached, result)
        }
        const id = result.stdout.trim().split('\n').pop() ?? ''
        if (!/^[0-9a-f]{12,64}$/.test(id)) {
          throw new ArchyError('podman-output', `podman run: expected a container id, got '${id}'`)
        }
        return id
      })
      runQueue = next.catch(() => undefined)
      return next
    },

    async start(name) {
      const result = await podman(['start', name], { allowFailure: true })
      // A start still under way from a command killed half way makes a second start fail with
      // "already running": the container is where we want it.
      if (result.exitCode !== 0 && !/already running/.test(result.stderr)) {
        throw failure(binary, ['start', name], result)
      }
    },

    async stop(name, timeoutSeconds = 10) {
      await podman(['stop', '--time', String(timeoutSeconds), name], {
        timeoutMs: Math.max(timeoutMs, (timeoutSeconds + 30) * 1000),
      })
    },

    async remove(name) {
      await podman(['rm', '--force', '--ignore', name], { timeoutMs: Math.max(timeoutMs, 40_000) })
    },

    exec(name, command) {
      return podman(['exec', name, ...command], { allowFailure: true })
    },

    async restartState(name) {
      const args = ['container', 'inspect', '--format', '{{.RestartCount}} {{.State.Status}}', name]
      const [count, state] = (await podman(args)).stdout.trim().split(' ')
      const restarts = Number(count)
      if (!Number.isSafeInteger(restarts) || restarts < 0 || !state) {
        throw new ArchyError(
          'podman-output',
          `podman ${args.join(' ')}: expected a count and state`,
        )
      }
      return { state, restarts }
    },

    async healthcheck(name) {
      const result = await podman(['healthcheck', 'run', name], { allowFailure: true })
      if (result.exitCode === 0 || result.exitCode === 1) return result.exitCode === 0
      // A check slower than its own timeout is a failed check, not a Podman failure; so is one
      // of a container that exited since it was listed (the next look says how it ended).
      if (FAILED_CHECK.test(result.stderr)) return false
      throw failure(binary, ['healthcheck', 'run', name], result)
    },

    async unshareChown(path, uid, gid) {
      if (!Number.isInteger(uid) || uid < 0 || !Number.isInteger(gid) || gid < 0) {
        throw new ValidationError('uid', `expected non-negative integers, got ${uid}:${gid}`)
      }
      await podman(['unshare', 'chown', '-R', `${uid}:${gid}`, resolve(path)])
    },

    async info() {
      return parseInfo((await podman(['info', '--format', 'json'])).stdout)
    },
  }
}

/** Checks that args start with 'run' and makes the run detached. */
function checkRunArgs(args: string[]): string[] {
  if (args[0] !== 'run') {
    throw new ValidationError('args[0]', `expected 'run', got '${args[0] ?? ''}'`)
  }
  if (args.includes('-d') || args.includes('--detach')) return args
  return ['run', '--detach', ...args.slice(1)]
}

function failure(binary: string, args: string[], result: ExecResult): ExecError {
  const stderr = result.stderr.trim().slice(-400)
  const last = stderr.split('\n').pop() ?? ''
  return new ExecError(
    'exec-failed',
    binary,
    `${[binary, ...args].join(' ')}: exited with ${result.exitCode}${last ? `: ${last}` : ''}`,
    { exitCode: result.exitCode, stderr },
  )
}
