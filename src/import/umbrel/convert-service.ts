// One kept compose service as the body of a manifest: image, command, environment, ports,
// health, capabilities. Mounts and dependencies are decided across the whole app (convert-app.ts).
// Every key without a manifest equivalent is listed as left out, with the reason.
import { ROOTLESS_CAPABILITIES, normalizeCapability } from '../../manifest/formats.js'
import type { YamlMap } from './read-app.js'
import { convertEnvironment, convertWords } from './service-environment.js'
import type { ServiceEnvironment, ValueContext } from './service-environment.js'
import { convertHealthCheck } from './service-health.js'
import type { ManifestHealthCheck } from './service-health.js'
import { convertPorts } from './service-ports.js'
import type { ManifestPort } from './service-ports.js'

export interface ServiceBody extends ServiceEnvironment {
  image: string
  entrypoint?: string[]
  command?: string[]
  data_uid?: number
  capabilities: string[]
  readonly_root: boolean
  ports: ManifestPort[]
  health_check?: ManifestHealthCheck
  /** Services of the same app this one starts after (`depends_on`). */
  dependsOn: string[]
}

/**
 * Keys read elsewhere (or judged unsafe) rather than here. A service with an unsafe key is never
 * converted, so `cgroup: private` or `oom_kill_disable: false` reach the list below.
 */
const HANDLED = new Set([
  'image', 'entrypoint', 'command', 'environment', 'ports', 'healthcheck', 'depends_on', 'user',
  'cap_add', 'cap_drop', 'read_only', 'volumes', 'tmpfs', 'security_opt', 'privileged',
  'network_mode', 'pid', 'ipc', 'userns_mode', 'devices', 'volumes_from', 'build', 'uts',
]) // prettier-ignore

/** Keys Umbrel apps use that a manifest has no place for, with what happens instead. */
const LEFT_OUT: Record<string, string> = {
  restart: 'the agent restarts every container it runs',
  stop_grace_period: 'a manifest sets no stop timeout; Podman waits its default 10 s',
  init: 'a manifest has no init process; the image entrypoint runs as PID 1',
  hostname: 'a container is named, and found on the network, by its app id',
  networks: "a static address on Umbrel's network; containers reach each other by app id",
  container_name: 'a container is named by its app id',
  // Docker accepts only namespaced sysctls, which stay inside the container's namespaces.
  sysctls: "a manifest sets no sysctls; the container keeps the kernel's defaults",
}

export function convertService(service: YamlMap, context: ValueContext): ServiceBody {
  const { notes } = context
  const environment = convertEnvironment(service, context)
  const entrypoint = convertWords(service, 'entrypoint', context)
  const command = convertWords(service, 'command', context)
  const image = qualifyImage(String(service.image))
  if (image !== service.image) {
    notes.convert(context.service, 'image', `${image} (Compose's default registry, named in full)`)
  }
  const body: ServiceBody = {
    image,
    ...(entrypoint && { entrypoint }),
    ...(command && { command }),
    ...environment,
    capabilities: convertCapabilities(service),
    readonly_root: service.read_only === true,
    ports: convertPorts(service.ports, context),
    dependsOn: readDependsOn(service.depends_on),
  }
  const health = convertHealthCheck(service, context)
  if (health) body.health_check = health

  // `user`: a manifest has no run-as user, but its uid owns the data as Umbrel's does.
  if (service.user !== undefined) {
    const uid = /^([0-9]+)(:[0-9]+)?$/.exec(String(service.user))?.[1]
    if (uid !== undefined && Number(uid) <= 65535) body.data_uid = Number(uid)
    const owner = uid !== undefined ? `; data_uid ${uid} owns its data` : ''
    const message = `a manifest has no run-as user, so the image's own user runs it${owner}`
    notes.leaveOut(context.service, 'user', message)
  }

  // Host networking is unsafe (unsafe-keys.ts); any other mode has no manifest equivalent.
  const mode = service.network_mode
  if (mode !== undefined && mode !== 'host') {
    const message = `"${String(mode)}" has no manifest equivalent; the container joins archy-net`
    notes.leaveOut(context.service, 'network_mode', message)
  }

  for (const key of Object.keys(service)) {
    if (HANDLED.has(key)) continue
    const reason = LEFT_OUT[key] ?? 'a manifest has no equivalent'
    notes.leaveOut(context.service, key, reason)
  }
  return body
}

/**
 * Podman's rootless default set, what the compose container would get, less `cap_drop`; cap_add
 * beyond it is unsafe (unsafe-keys.ts), so the set never grows.
 */
function convertCapabilities(service: YamlMap): string[] {
  const dropped = Array.isArray(service.cap_drop) ? service.cap_drop.map(String) : []
  if (dropped.some((name) => name.toUpperCase() === 'ALL')) {
    const added = Array.isArray(service.cap_add) ? service.cap_add.map(String) : []
    return added.map(normalizeCapability)
  }
  const names = dropped.map(normalizeCapability)
  return ROOTLESS_CAPABILITIES.filter((name) => !names.includes(name))
}

/**
 * A short image name as Compose reads it: Docker Hub, `library/` for a single component. Podman
 * would otherwise resolve it through its short-name aliases, or refuse to
 * (containers-registries.conf(5)).
 */
export function qualifyImage(image: string): string {
  const [first = '', ...rest] = image.split('/')
  const isRegistry = rest.length > 0 && (/[.:]/.test(first) || first === 'localhost')
  if (isRegistry) return image
  return rest.length === 0 ? `docker.io/library/${image}` : `docker.io/${image}`
}

export function readDependsOn(dependsOn: unknown): string[] {
  if (Array.isArray(dependsOn)) return dependsOn.map(String)
  if (dependsOn && typeof dependsOn === 'object') return Object.keys(dependsOn)
  return []
}
