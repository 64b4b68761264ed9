// The compose keys a manifest can never express safely (DESIGN.md §2): on the main service they
// refuse the app; on a side service they leave that service out, listed as needing a decision.
import { ROOTLESS_CAPABILITIES, checkImage, normalizeCapability } from '../../manifest/formats.js'
import type { YamlMap } from './read-app.js'

export interface UnsafeKey {
  key: string
  message: string
}

/** Every unsafe key of one service (its mounts are volumes.ts's to judge). */
export function findUnsafeKeys(service: YamlMap): UnsafeKey[] {
  const found: UnsafeKey[] = []
  const add = (key: string, message: string): number => found.push({ key, message })

  if (service.privileged === true) add('privileged', 'privileged mode is refused')
  const networkMode = String(service.network_mode ?? '')
  if (networkMode === 'host') {
    add('network_mode', 'host networking is refused: apps never share the host network')
  }
  if (service.pid !== undefined) {
    add('pid', `sharing a PID namespace ("${String(service.pid)}") is refused`)
  }
  if (service.ipc !== undefined)
    add('ipc', `sharing an IPC namespace ("${service.ipc}") is refused`)
  if (service.userns_mode !== undefined) add('userns_mode', 'a user namespace mode is refused')
  if (service.uts !== undefined) {
    add('uts', `sharing a UTS namespace ("${String(service.uts)}") is refused`)
  }
  // `cgroup: private` is what a container gets anyway; only the host's namespace is shared.
  if (service.cgroup === 'host') add('cgroup', 'sharing the host cgroup namespace is refused')
  if (isNonEmpty(service.cgroup_parent)) {
    add('cgroup_parent', 'placing the container in a cgroup of the host is refused')
  }
  if (service.oom_kill_disable === true) {
    add('oom_kill_disable', "exempting the container from the host's OOM killer is refused")
  }
  if (isNonEmpty(service.devices)) add('devices', 'devices are refused')
  if (isNonEmpty(service.device_cgroup_rules)) {
    add('device_cgroup_rules', 'rules granting access to host devices are refused')
  }
  if (isNonEmpty(service.volumes_from))
    add('volumes_from', "another container's mounts are refused")

  const capabilities = Array.isArray(service.cap_add) ? service.cap_add.map(String) : []
  const outside = capabilities.filter(
    (name) => !(ROOTLESS_CAPABILITIES as readonly string[]).includes(normalizeCapability(name)),
  )
  if (outside.length > 0) {
    add(
      'cap_add',
      `${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} outside the rootless ` +
        `default capability set (${ROOTLESS_CAPABILITIES.join(', ')})`,
    )
  }
  // Only the no-new-privileges option, which every app gets anyway, is harmless.
  const options = Array.isArray(service.security_opt) ? service.security_opt.map(String) : []
  const refused = options.filter((option) => !/^no-new-privileges(:true)?$/.test(option))
  if (refused.length > 0) add('security_opt', `${refused.join(', ')} is refused`)

  if (service.build !== undefined) {
    add('build', 'build steps are refused: an app ships a pinned image')
  } else if (typeof service.image !== 'string' || service.image === '') {
    add('image', 'the service has no image')
  } else {
    const problem = checkImage(service.image)
    if (problem) add('image', problem)
  }
  return found
}

function isNonEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0
  return value !== undefined && value !== null && value !== ''
}
