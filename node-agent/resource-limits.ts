// Whether this host can enforce an app's resource limits (DESIGN.md §5: the one applied key that
// may degrade to a warning). Rootless Podman on cgroup v1 cannot; on cgroup v2 it needs the
// `memory` and `cpu` controllers delegated to the user (`podman info`: host.cgroupControllers).
import type { ContainerSpec } from './container-spec.js'
import type { PodmanInfo } from './podman-output.js'

/** Why a limit cannot be enforced here; a key is absent when the limit can be. */
export interface LimitSupport {
  memory?: string
  cpu?: string
}

/** What `podman info` says about limits on this host. */
export function describeLimitSupport(info: PodmanInfo): LimitSupport {
  if (info.rootless && info.cgroupVersion === 'v1') {
    const reason = 'rootless Podman on cgroup v1'
    return { memory: reason, cpu: reason }
  }
  const controllers = info.cgroupControllers
  if (info.cgroupVersion !== 'v2' || controllers === undefined) return {}
  const missing = (name: string): string | undefined =>
    controllers.includes(name)
      ? undefined
      : `cgroup v2 without the ${name} controller delegated to this user`
  const memory = missing('memory')
  const cpu = missing('cpu')
  return { ...(memory && { memory }), ...(cpu && { cpu }) }
}

/** Drops the limits the host cannot enforce from a spec, with a warning naming each key. */
export function applyLimitSupport(
  spec: ContainerSpec,
  support: LimitSupport,
): { spec: ContainerSpec; warnings: string[] } {
  const warnings: string[] = []
  let result = spec
  if (spec.memoryLimit !== undefined && support.memory) {
    const { memoryLimit: _dropped, ...rest } = result
    result = rest
    warnings.push(
      `${spec.appId}: app.resources.memory_limit: ` +
        `this host cannot enforce it (${support.memory}); ` +
        'the app runs without a memory limit',
    )
  }
  if (spec.cpuLimit !== undefined && support.cpu) {
    const { cpuLimit: _dropped, ...rest } = result
    result = rest
    warnings.push(
      `${spec.appId}: app.resources.cpu_limit: this host cannot enforce it (${support.cpu}); ` +
        'the app runs without a CPU limit',
    )
  }
  return { spec: result, warnings }
}
