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

/**
 * Moving to Quadlet, which recreates the container on every start (DESIGN.md §5), needs all its
 * state in bind mounts or named volumes: a writable root may hold state the move would lose.
 */
export function checkStateInMounts(manifests: AppManifest[]): void {
  for (const manifest of manifests) {
    if (manifest.security.readonly_root) continue
    throw new ValidationError(
      `${manifest.id}: app.security.readonly_root`,
      "is false, so the container's own layer may hold state that Quadlet's recreate on every " +
        'start would lose; keep it in podman mode (--mode podman)',
    )
  }
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
