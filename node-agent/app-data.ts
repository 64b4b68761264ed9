// An app's data directory (DESIGN.md §4, §5): the bind-mount sources under `<data root>/<app id>`,
// and the manifest's `files`, written only when absent (or `overwrite: true`). Entries made now
// are owned by `data_uid` inside the user namespace; older data is never removed nor chowned.
import { lstat, mkdir, realpath, stat } from 'node:fs/promises'
import path from 'node:path'

import { ArchyError, ValidationError } from '../src/errors.js'
import { ARCHIPELAGO_DATA_PREFIX } from '../src/manifest/types.js'
import type { AppManifest } from '../src/manifest/types.js'
import type { ContainerSpec } from './container-spec.js'
import { isInside, makeConfinedDirectory, runUnshare, writeConfinedFile } from './data-entries.js'
import type { Confinement } from './data-entries.js'
import type { Exec } from './exec.js'

export interface AppDataOptions {
  dataRoot: string
  /** For `podman unshare`: directories the app owns, and `data_uid` ownership. */
  exec: Exec
}

export interface AppDataChanges {
  /** Directories and files made now (host paths under the real app directory). */
  created: string[]
  /** Existing files rewritten because the manifest says `overwrite: true`. */
  overwritten: string[]
}

/** Creates the app's bind-mount directories and files, never following a symlink out of them. */
export async function prepareAppData(
  manifest: AppManifest,
  spec: ContainerSpec,
  options: AppDataOptions,
): Promise<AppDataChanges> {
  const own = path.join(options.dataRoot, manifest.id)
  const { real, created: madeOwn } = await openAppDirectory(options.dataRoot, own)
  const confine = (at: string): Confinement => ({
    base: real,
    at: `${manifest.id}: ${at}`,
    exec: options.exec,
  })
  const changes: AppDataChanges = { created: madeOwn ? [real] : [], overwritten: [] }

  // The app's own bind sources, by their index in app.volumes (the spec keeps that order).
  const roots = spec.mounts.flatMap((mount, index) =>
    mount.type === 'bind' && isInside(mount.source, own)
      ? [{ index, dir: rebase(mount.source, own, real) }]
      : [],
  )
  for (const { index, dir } of roots) {
    changes.created.push(
      ...(await makeConfinedDirectory(dir, confine(`app.volumes[${index}].source`))),
    )
  }

  for (const [index, file] of manifest.files.entries()) {
    const at = `app.files[${index}].path`
    const mapped = mapDataPath(file.path, options.dataRoot, `${manifest.id}: ${at}`)
    if (!isInside(mapped, own)) {
      throw new ValidationError(`${manifest.id}: ${at}`, `${file.path} is outside this app's data`)
    }
    const target = rebase(mapped, own, real)
    changes.created.push(...(await makeConfinedDirectory(path.dirname(target), confine(at))))
    const mode = parseInt(file.mode ?? '0644', 8)
    const outcome = await writeConfinedFile(
      target,
      { content: file.content, mode, overwrite: file.overwrite },
      confine(at),
    )
    if (outcome === 'created') changes.created.push(target)
    if (outcome === 'overwritten') changes.overwritten.push(target)
  }

  // data_uid: only what lies in a mount and was made now; one call, links never followed.
  const uid = manifest.container.data_uid
  const owned = changes.created.filter((entry) => roots.some(({ dir }) => isInside(entry, dir)))
  if (uid !== undefined && owned.length > 0) {
    const args = ['chown', '--no-dereference', `${uid}:${uid}`, '--', ...owned]
    await runUnshare(options.exec, args, {
      at: `${manifest.id}: app.container.data_uid`,
      action:
        `give the ${owned.length === 1 ? 'entry' : `${owned.length} entries`} made now ` +
        `under ${real} to uid ${uid} in the user namespace`,
    })
  }
  return changes
}

/** Maps `/var/lib/archipelago/...` onto the data root. */
export function mapDataPath(value: string, dataRoot: string, at: string): string {
  const normalized = path.posix.normalize(value)
  if (normalized === ARCHIPELAGO_DATA_PREFIX || !isInside(normalized, ARCHIPELAGO_DATA_PREFIX)) {
    throw new ValidationError(at, `${value} is outside ${ARCHIPELAGO_DATA_PREFIX}/<app id>`)
  }
  return path.join(dataRoot, path.posix.relative(ARCHIPELAGO_DATA_PREFIX, normalized))
}

/**
 * `<data root>/<app id>`, made if missing, as its real path. No container can replace this
 * directory itself (it mounts at most the directory, never its parent), so a link here is the
 * operator's and is followed; everything below it is checked component by component.
 */
async function openAppDirectory(
  dataRoot: string,
  own: string,
): Promise<{ real: string; created: boolean }> {
  let created = false
  try {
    await mkdir(dataRoot, { recursive: true })
    try {
      await lstat(own)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      await mkdir(own, { mode: 0o755 })
      created = true
    }
  } catch (error) {
    // Node's message names the call and the path that failed, which may be above `own`.
    const reason = (error as Error).message
    throw new ArchyError('io', `--data-root: cannot make the app directory ${own}: ${reason}`, {
      cause: error,
    })
  }
  const real = await realpath(own)
  if (!(await stat(real)).isDirectory()) {
    throw new ValidationError('--data-root', `${own} is not a directory`)
  }
  return { real, created }
}

function rebase(entry: string, from: string, to: string): string {
  return path.join(to, path.relative(from, entry))
}
