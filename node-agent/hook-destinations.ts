// Where a `copy_from_host` hook may write (DESIGN.md §4, "Hooks"). `podman cp` cannot write to a
// read-only root (`security.readonly_root`, the default) or mount, so `dest` must be on a writable
// mount or root; checked while planning, so such an install fails before anything is created.
import path from 'node:path'

import { ValidationError } from '../src/errors.js'
import type { ContainerMount, ContainerSpec } from './container-spec.js'

/** Refuses a copy_from_host `dest` that `podman cp` could not write in this container. */
export function checkHookDestinations(spec: ContainerSpec): void {
  spec.postInstall.forEach((step, index) => {
    if (!('copy_from_host' in step)) return
    const dest = path.posix.normalize(step.copy_from_host.dest)
    const at = `${spec.appId}: app.hooks.post_install[${index}].copy_from_host.dest`
    const mount = findMount(spec.mounts, dest)

    if (mount && path.posix.normalize(mount.target) === dest) {
      // `podman cp` would put the file in that directory under its artifact digest.
      throw new ValidationError(at, `${dest} is a mount point; name the file to write in it`)
    }
    if (mount && mount.type !== 'tmpfs' && mount.readonly) {
      throw new ValidationError(
        at,
        `${dest} is on the read-only mount ${mount.target}; podman cp cannot write there`,
      )
    }
    if (!mount && spec.readonlyRoot) {
      throw new ValidationError(
        at,
        `${dest} is on the container's read-only root file system (security.readonly_root); ` +
          'podman cp cannot write there: put it on a writable volume, bind mount or tmpfs',
      )
    }
  })
}

/** The mount that holds `dest`: the one with the longest target containing it. */
function findMount(mounts: ContainerMount[], dest: string): ContainerMount | undefined {
  let found: ContainerMount | undefined
  for (const mount of mounts) {
    const target = path.posix.normalize(mount.target)
    const relative = path.posix.relative(target, dest)
    const holds = relative === '' || (relative !== '..' && !relative.startsWith('../'))
    if (holds && (!found || target.length > path.posix.normalize(found.target).length)) {
      found = mount
    }
  }
  return found
}
