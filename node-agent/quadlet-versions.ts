// The first Podman release whose Quadlet accepts each `[Container]`/`[Network]` key we write, read
// from supportedContainerKeys in pkg/systemd/quadlet/quadlet.go at each tag (v4.4.0-v5.5.0).
// A key newer than the target Podman is written as the equivalent PodmanArgs= flag instead.
import { ValidationError } from '../src/errors.js'

export type PodmanVersion = readonly [major: number, minor: number, patch: number]

/** Quadlet itself first shipped in Podman 4.4. */
export const MIN_QUADLET_VERSION: PodmanVersion = [4, 4, 0]
export const DEFAULT_PODMAN_VERSION = '5.4'

export const QUADLET_KEY_VERSIONS = {
  ContainerName: [4, 4, 0],
  Image: [4, 4, 0],
  Exec: [4, 4, 0],
  Environment: [4, 4, 0],
  Label: [4, 4, 0],
  PublishPort: [4, 4, 0],
  Volume: [4, 4, 0],
  Network: [4, 4, 0],
  AddCapability: [4, 4, 0],
  DropCapability: [4, 4, 0],
  ReadOnly: [4, 4, 0],
  NoNewPrivileges: [4, 4, 0],
  PodmanArgs: [4, 4, 0],
  /** Written with ReadOnly= before 4.8, whose Quadlet else adds --read-only-tmpfs=false. */
  VolatileTmp: [4, 4, 0],
  Secret: [4, 5, 0],
  Tmpfs: [4, 5, 0],
  HealthCmd: [4, 5, 0],
  HealthInterval: [4, 5, 0],
  HealthTimeout: [4, 5, 0],
  HealthRetries: [4, 5, 0],
  HealthStartPeriod: [4, 5, 0],
  /** `[Network]` NetworkName=; before it a .network file names its network systemd-<name>. */
  NetworkName: [4, 7, 0],
  ReadOnlyTmpfs: [4, 8, 0],
  Entrypoint: [5, 0, 0],
  NetworkAlias: [5, 2, 0],
  Memory: [5, 5, 0],
} as const satisfies Record<string, PodmanVersion>

export type QuadletKey = keyof typeof QUADLET_KEY_VERSIONS

/** Parses `5.4`, `4.4.1` or `5.4.2-rc1` (pre-release and build parts ignored). */
export function parsePodmanVersion(text: string): PodmanVersion {
  const match = /^v?(\d{1,4})\.(\d{1,4})(?:\.(\d{1,4}))?(?:[-+~][0-9A-Za-z.~+-]*)?$/.exec(
    text.trim(),
  )
  if (!match) {
    throw new ValidationError('podmanVersion', `"${text}" is not a Podman version such as 5.4`)
  }
  const version: PodmanVersion = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)]
  if (compareVersions(version, MIN_QUADLET_VERSION) < 0) {
    throw new ValidationError('podmanVersion', `Quadlet needs Podman 4.4 or later, not ${text}`)
  }
  return version
}

export function compareVersions(a: PodmanVersion, b: PodmanVersion): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2]
}

/** Whether the Quadlet of this Podman version accepts the key. */
export function supportsKey(version: PodmanVersion, key: QuadletKey): boolean {
  return compareVersions(version, QUADLET_KEY_VERSIONS[key]) >= 0
}
