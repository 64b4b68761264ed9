// The last check before `podman run` (DESIGN.md §2): Podman follows symlinks in a bind source, so
// each source is resolved on the host and must stay inside its owner's real data directory (the
// app's own read-write, a declared dependency's read-only). The spec was checked by name already.
import { realpath } from 'node:fs/promises'
import path from 'node:path'

import { ValidationError } from '../src/errors.js'
import type { ContainerSpec } from './container-spec.js'
import { isInside } from './data-entries.js'
import type { Exec } from './exec.js'

export interface BindCheckOptions {
  dataRoot: string
  /** For `podman unshare realpath` where the host user may not enter a directory the app owns. */
  exec: Exec
}

/** Refuses a bind source that, links followed, leaves the data directory it may use. */
export async function checkBindSources(
  spec: ContainerSpec,
  options: BindCheckOptions,
): Promise<void> {
  const { dataRoot } = options
  for (const [index, mount] of spec.mounts.entries()) {
    if (mount.type !== 'bind') continue
    const at = `${spec.appId}: app.volumes[${index}].source`

    // Whose directory it is, by name: the first component below the data root.
    const owner = isInside(mount.source, dataRoot)
      ? (path.relative(dataRoot, mount.source).split(path.sep)[0] ?? '')
      : ''
    const allowed =
      owner !== '' && (owner === spec.appId || (mount.readonly && spec.dependsOn.includes(owner)))
    if (!allowed) {
      throw new ValidationError(
        at,
        `${mount.source} is not this app's data directory nor, read-only, a dependency's`,
      )
    }

    const root = await resolveExisting(path.join(dataRoot, owner), at, options.exec)
    const real = await resolveExisting(mount.source, at, options.exec)
    if (!isInside(real, root)) {
      throw new ValidationError(
        at,
        `${mount.source} resolves to ${real}, outside ${root}; refusing to mount it`,
      )
    }
  }
}

async function resolveExisting(entry: string, at: string, exec: Exec): Promise<string> {
  try {
    return await realpath(entry)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT')
      throw new ValidationError(at, `${entry} does not exist`, { cause: error })
    if (code === 'ELOOP') {
      throw new ValidationError(at, `${entry} is a symlink loop`, { cause: error })
    }
    if (code !== 'EACCES' && code !== 'EPERM') throw error
  }

  // A directory the app owns (mode 0700 under its uid): resolve it as the namespace's root.
  const args = ['unshare', 'realpath', '-e', '--', entry]
  const result = await exec('podman', args, { cwd: '/', timeoutMs: 60_000, allowFailure: true })
  const real = result.stdout.trim()
  if (result.exitCode !== 0 || !path.isAbsolute(real)) {
    throw new ValidationError(at, `${entry} cannot be resolved: ${result.stderr.trim()}`)
  }
  return real
}
