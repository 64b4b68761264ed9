// An app's data directory (DESIGN.md §4, §5): the bind-mount sources under `<data root>/<app id>`,
// and the manifest's `files`, written only when absent (or `overwrite: true`), then owned by
// `data_uid` inside the user namespace. Existing data is never removed or rewritten otherwise.
import { chmod, lstat, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'

import { ValidationError } from '../src/errors.js'
import { ARCHIPELAGO_DATA_PREFIX } from '../src/manifest/types.js'
import type { AppManifest } from '../src/manifest/types.js'
import type { ContainerSpec } from './container-spec.js'
import type { Exec } from './exec.js'
import type { Podman } from './podman.js'

export interface AppDataOptions {
  dataRoot: string
  podman: Podman
  /** For `podman unshare`, where the host user cannot write a directory the app owns. */
  exec: Exec
}

/** Creates the app's bind-mount directories and files; returns what it created or wrote. */
export async function prepareAppData(
  manifest: AppManifest,
  spec: ContainerSpec,
  options: AppDataOptions,
): Promise<string[]> {
  const own = path.join(options.dataRoot, manifest.id)
  const mountRoots = spec.mounts
    .filter((mount) => mount.type === 'bind' && isInside(mount.source, own))
    .map((mount) => (mount as { source: string }).source)

  const touched: string[] = []
  for (const root of mountRoots) touched.push(...(await makeDirectory(root, options)))
  for (const [index, file] of manifest.files.entries()) {
    const target = mapDataPath(file.path, options.dataRoot, `app.files[${index}].path`)
    if (!isInside(target, own)) {
      throw new ValidationError(
        `app.files[${index}].path`,
        `${file.path} is outside this app's data`,
      )
    }
    touched.push(...(await makeDirectory(path.dirname(target), options)))
    if (!file.overwrite && (await exists(target, options))) continue
    await writeDataFile(target, file.content, parseInt(file.mode ?? '0644', 8), options)
    touched.push(target)
  }

  // Ownership for data_uid: only what lies in a mount and was made now, never older data.
  const uid = manifest.container.data_uid
  if (uid !== undefined) {
    const owned = touched.filter((entry) => mountRoots.some((root) => isInside(entry, root)))
    for (const entry of owned) await options.podman.unshareChown(entry, uid, uid)
  }
  return touched
}

/** Maps `/var/lib/archipelago/...` onto the data root. */
export function mapDataPath(value: string, dataRoot: string, at: string): string {
  const relative = path.posix.relative(ARCHIPELAGO_DATA_PREFIX, path.posix.normalize(value))
  if (relative === '' || relative.startsWith('..') || path.posix.isAbsolute(relative)) {
    throw new ValidationError(at, `${value} is outside ${ARCHIPELAGO_DATA_PREFIX}/<app id>`)
  }
  return path.join(dataRoot, relative)
}

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child)
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))
}

/** mkdir -p, returning the directories it made (outermost first). */
async function makeDirectory(dir: string, options: AppDataOptions): Promise<string[]> {
  const missing: string[] = []
  for (let current = dir; !(await exists(current, options)); current = path.dirname(current)) {
    missing.unshift(current)
    if (path.dirname(current) === current) break
  }
  for (const entry of missing) {
    try {
      await mkdir(entry, { mode: 0o755 })
    } catch (error) {
      if (!isPermissionError(error)) throw error
      await options.exec('podman', ['unshare', 'mkdir', '-p', '-m', '0755', entry])
    }
  }
  return missing
}

async function writeDataFile(
  target: string,
  content: string,
  mode: number,
  options: AppDataOptions,
): Promise<void> {
  try {
    await writeFile(target, content, { mode })
    await chmod(target, mode)
  } catch (error) {
    if (!isPermissionError(error)) throw error
    // The directory belongs to the app's uid: write as that namespace's root instead.
    const script = 'cat > "$1" && chmod "$2" "$1"'
    const args = ['unshare', 'sh', '-c', script, 'sh', target, mode.toString(8)]
    await options.exec('podman', args, { input: content })
  }
}

async function exists(target: string, options: AppDataOptions): Promise<boolean> {
  try {
    await lstat(target)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    if (!isPermissionError(error)) throw error
    const result = await options.exec('podman', ['unshare', 'test', '-e', target], {
      allowFailure: true,
    })
    return result.exitCode === 0
  }
}

function isPermissionError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'EACCES' || code === 'EPERM'
}
