// The normalized app manifest (DESIGN.md §4): what the validator returns after applying defaults.
// Every consumer (renderer, registry, agent) reads this shape, never the raw YAML.

export type PullPolicy = 'if-not-present' | 'always' | 'never'
export type Charset = 'alphanumeric' | 'hex' | 'base64url'
export type Capability =
  | 'CHOWN'
  | 'DAC_OVERRIDE'
  | 'FOWNER'
  | 'FSETID'
  | 'KILL'
  | 'NET_BIND_SERVICE'
  | 'SETFCAP'
  | 'SETGID'
  | 'SETPCAP'
  | 'SETUID'
  | 'SYS_CHROOT'

export interface DerivedEnv {
  key: string
  template: string
}

export interface SecretEnv {
  key: string
  secret_file: string
}

export interface GeneratedSecret {
  name: string
  length: number
  charset: Charset
}

export interface AppDependency {
  app_id: string
  /** A SemVer range, when given. */
  version?: string
}

export interface StorageDependency {
  /** Bytes, parsed from `10Gi` and the like. */
  storage: number
}

export type Dependency = AppDependency | StorageDependency

export interface Port {
  host: number
  container: number
  protocol: 'tcp' | 'udp'
  bind: string
  auth: 'gated' | 'open'
  auth_rationale?: string
}

export interface BindVolume {
  type: 'bind'
  source: string
  target: string
  options: string[]
}

export interface NamedVolume {
  type: 'volume'
  source: string
  target: string
  options: string[]
}

export interface TmpfsVolume {
  type: 'tmpfs'
  target: string
  options: string[]
}

export type Volume = BindVolume | NamedVolume | TmpfsVolume

export interface EnvVar {
  key: string
  value: string
}

interface HealthTiming {
  /** Milliseconds, parsed from `30s`, `1m` and the like. */
  interval: number
  timeout: number
  retries: number
  start_period: number
}

export type HealthCheck =
  | (HealthTiming & { type: 'http'; endpoint: string; path: string })
  | (HealthTiming & { type: 'tcp'; port: number })
  | (HealthTiming & { type: 'exec'; command: string[] })

export interface ManifestFile {
  path: string
  content: string
  overwrite: boolean
  /** Octal file mode as a string, e.g. "0644". */
  mode?: string
}

export type HookStep =
  { copy_from_host: { src: string; dest: string } } | { exec: { command: string[] } }

export interface Interface {
  name: string
  type: string
  port: number
  protocol: string
  path: string
}

export interface Container {
  image: string
  legacy_names: string[]
  pull_policy: PullPolicy
  network: string
  entrypoint?: string[]
  command?: string[]
  data_uid?: number
  derived_env: DerivedEnv[]
  secret_env: SecretEnv[]
}

export interface Resources {
  /** Bytes. */
  memory_limit?: number
  /** Cores, fractional allowed. */
  cpu_limit?: number
}

export interface Security {
  capabilities: Capability[]
  readonly_root: boolean
  no_new_privileges: boolean
  /** `isolated`, or the name of a network the container joins as well. */
  network_policy: string
}

export interface AppManifest {
  id: string
  name: string
  version: string
  description?: string
  category?: string
  upstream?: Record<string, unknown>
  container: Container
  generated_secrets: GeneratedSecret[]
  network_aliases: string[]
  dependencies: Dependency[]
  resources: Resources
  security: Security
  ports: Port[]
  volumes: Volume[]
  environment: EnvVar[]
  health_check?: HealthCheck
  files: ManifestFile[]
  hooks: { post_install: HookStep[] }
  interfaces: Record<string, Interface>
  metadata: Record<string, unknown>
}

/** The document form: root key `app`, as signed inside a release. */
export interface ManifestDocument {
  app: AppManifest
}

/** Archipelago's host prefix for app data; the agent maps it onto its own data root. */
export const ARCHIPELAGO_DATA_PREFIX = '/var/lib/archipelago'

/** The shared user network every app joins unless it names its own. */
export const DEFAULT_NETWORK = 'archy-net'

export function isAppDependency(dependency: Dependency): dependency is AppDependency {
  return 'app_id' in dependency
}
