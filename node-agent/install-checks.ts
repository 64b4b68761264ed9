// What `archy agent install` checks before anything is fetched or written (node-agent/install.ts):
// the stack's ids free, its app dependencies installed at matching versions, room for its
// storage, and for Quadlet all its state in mounts. Each refusal names the manifest field.
import { statfs } from 'node:fs/promises'

import semver from 'semver'

import { ArchyError, ValidationError } from '../src/errors.js'
import { isAppDependency } from '../src/manifest/types.js'
import type { AppManifest } from '../src/manifest/types.js'
import type { Agent } from './agent-context.js'
import { loadOtherManifests } from './installed-app.js'
import type { Podman } from './podman.js'
import type { PlannedMember } from './stack-plan.js'

export interface StateInMountsOptions {
  /** The install runs in podman mode now: its container's own layer may hold state already. */
  moving: boolean
}

/**
 * Quadlet recreates the container on every start (`run --replace --rm`, DESIGN.md §5), so all
 * state must live in bind mounts or named volumes. Moving there refuses a writable root, which
 * may hold state; and any install there refuses an image VOLUME no manifest mount covers, since
 * `--rm` deletes the anonymous volume Podman makes for it. Each image must be on the node.
 */
export async function checkStateInMounts(
  podman: Podman,
  members: Pick<PlannedMember, 'manifest' | 'spec'>[],
  options: StateInMountsOptions,
): Promise<void> {
  for (const { manifest } of members) {
    if (!options.moving || manifest.security.readonly_root) continue
    throw new ValidationError(
      `${manifest.id}: app.security.readonly_root`,
      "is false, so the container's own layer may hold state that Quadlet's recreate on every " +
        'start would lose; keep it in podman mode (--mode podman)',
    )
  }

  for (const { manifest, spec } of members) {
    // Podman puts an anonymous volume at a VOLUME path unless a mount has exactly that target.
    const targets = new Set(spec.mounts.map((mount) => trimSlashes(mount.target)))
    const volumes = await podman.imageVolumes(spec.image)
    const uncovered = volumes.find((path) => !targets.has(trimSlashes(path)))
    if (uncovered === undefined) continue
    throw new ValidationError(
      `${manifest.id}: app.volumes`,
      `has no mount at ${uncovered}, which the image declares as a VOLUME: Quadlet's recreate ` +
        'on every start would delete the anonymous volume Podman makes there; add a bind ' +
        `mount or named volume with target ${uncovered}, or install with --mode podman`,
    )
  }
}

function trimSlashes(path: string): string {
  return path.replace(/\/+$/, '') || '/'
}

export function checkStackIds(agent: Agent, appId: string, manifests: AppManifest[]): void {
  for (const manifest of manifests) {
    const owner = agent.store.findOwner(manifest.id)
    if (owner !== undefined && owner !== appId) {
      throw new ArchyError(
        'installed-elsewhere',
        `${manifest.id} (part of ${appId}) is already installed as part of ${owner}`,
      )
    }
  }
}

/** App dependencies outside the stack must be installed already, at a matching version. */
export function checkDependencies(agent: Agent, appId: string, manifests: AppManifest[]): void {
  const inStack = new Set(manifests.map((manifest) => manifest.id))
  const installed = loadOtherManifests(agent, appId)
  for (const manifest of manifests) {
    manifest.dependencies.forEach((dependency, index) => {
      if (!isAppDependency(dependency) || inStack.has(dependency.app_id)) return
      const at = `${manifest.id}: app.dependencies[${index}]`
      const found = installed.find((candidate) => candidate.id === dependency.app_id)
      if (!found) {
        throw new ValidationError(
          at,
          `needs ${dependency.app_id} installed first (or install with --with-dependencies)`,
        )
      }
      if (dependency.version && !semver.satisfies(found.version, dependency.version)) {
        throw new ValidationError(
          at,
          `needs ${dependency.app_id} ${dependency.version}; ${found.version} is installed`,
        )
      }
    })
  }
}

/** A storage dependency is checked against free space under the data root. */
export async function checkStorage(agent: Agent, manifests: AppManifest[]): Promise<void> {
  const needed = manifests.flatMap((manifest) =>
    manifest.dependencies.flatMap((dependency, index) =>
      'storage' in dependency ? [{ manifest, index, bytes: dependency.storage }] : [],
    ),
  )
  if (needed.length === 0) return
  const free = await freeBytes(agent.paths.dataRoot)
  for (const { manifest, index, bytes } of needed) {
    if (bytes > free) {
      throw new ValidationError(
        `${manifest.id}: app.dependencies[${index}].storage`,
        `needs ${bytes} bytes free under ${agent.paths.dataRoot}; ${free} are`,
      )
    }
  }
}

async function freeBytes(dir: string): Promise<number> {
  for (let current = dir; ; current = current.slice(0, current.lastIndexOf('/')) || '/') {
    try {
      const stats = await statfs(current)
      return stats.bavail * stats.bsize
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || current === '/') throw error
    }
  }
}
