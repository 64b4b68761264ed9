// Rules an install applies on top of the container spec (DESIGN.md §5): every placeholder must
// have a value on this node (`archy app render` only warns), and named volumes live in a per-app
// namespace so two apps never share one by accident and a purge knows what to remove.
import { ValidationError } from '../src/errors.js'
import type { AppManifest } from '../src/manifest/types.js'
import type { ContainerSpec, NodeContext } from './container-spec.js'

// The same placeholder syntax container-spec.ts resolves.
const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g
const VOLUME_PREFIX = 'archy.'

/** How an operator gives a node value that is missing. */
const HINTS: Record<string, string> = {
  HOST_IP: 'pass --host-ip',
}

/** Throws naming the first derived_env template whose placeholder this node has no value for. */
export function checkPlaceholders(manifest: AppManifest, context: NodeContext): void {
  const known = new Set(['APP_ID', 'APP_DATA_DIR'])
  for (const [name, value] of Object.entries(context.values)) {
    if (value !== undefined) known.add(name)
  }
  manifest.container.derived_env.forEach((entry, index) => {
    for (const [, name] of entry.template.matchAll(PLACEHOLDER)) {
      if (name === undefined || known.has(name)) continue
      throw new ValidationError(
        `${manifest.id}: app.container.derived_env[${index}].template`,
        `no value for {{${name}}} on this node; ${HINTS[name] ?? 'this node does not provide it'}`,
      )
    }
  })
}

/**
 * The Podman volume an app's named volume maps to: `archy.<app id>.<name>`. App ids have no dot,
 * so two (app, name) pairs never share a volume.
 */
export function podmanVolumeName(appId: string, name: string): string {
  return `${VOLUME_PREFIX}${appId}.${name}`
}

/** The spec with every named volume moved into the app's namespace. */
export function namespaceVolumes(manifest: AppManifest, spec: ContainerSpec): ContainerSpec {
  // container-spec.ts builds one mount per manifest volume, in order: index i is app.volumes[i].
  const mounts = spec.mounts.map((mount, index) => {
    if (mount.type !== 'volume') return mount
    const source = podmanVolumeName(manifest.id, mount.source)
    // Quadlet reads a Volume= source ending in `.volume` as a unit file, not a volume name.
    if (source.endsWith('.volume')) {
      throw new ValidationError(
        `${manifest.id}: app.volumes[${index}].source`,
        `"${mount.source}" cannot end in ".volume" (Quadlet reads that as a unit)`,
      )
    }
    return { ...mount, source }
  })
  return { ...spec, mounts }
}

/** The Podman volumes an app's named volumes map to. */
export function listVolumes(manifest: AppManifest): string[] {
  return manifest.volumes.flatMap((volume) =>
    volume.type === 'volume' ? [podmanVolumeName(manifest.id, volume.source)] : [],
  )
}
