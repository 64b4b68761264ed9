// Images for the containers (DESIGN.md §4, "Images"): a `blake3:` image archive is fetched from
// the origin, verified, `podman load`ed and tagged with the name the spec runs; a registry
// reference is pulled as its pull_policy says.
import { ArchyError, ValidationError } from '../src/errors.js'
import type { AppManifest } from '../src/manifest/types.js'
import type { ReleaseArtifact, ReleaseDocument } from '../src/release/release-document.js'
import { fetchArtifact } from './artifact-fetch.js'
import type { Exec } from './exec.js'
import type { Podman } from './podman.js'

export interface ImageOptions {
  podman: Podman
  exec: Exec
  origin: string
  artifactsDir: string
  /** Load even when the tag exists (a fresh install): the tag must name these bytes. */
  reload: boolean
}

const PULL_TIMEOUT_MS = 600_000

/** The artifact a `blake3:` image names, from the signed release. */
export function findImageArtifact(
  manifest: AppManifest,
  release: ReleaseDocument,
): ReleaseArtifact | undefined {
  const image = manifest.container.image
  if (!image.startsWith('blake3:')) return undefined
  const digest = image.slice('blake3:'.length)
  const artifact = release.artifacts.find((candidate) => candidate.blake3 === digest)
  if (!artifact) {
    throw new ValidationError(
      `${manifest.id}: app.container.image`,
      'names no artifact of the release',
    )
  }
  return artifact
}

/** Makes sure `target` exists locally with the manifest's image. */
export async function ensureImage(
  manifest: AppManifest,
  release: ReleaseDocument,
  target: string,
  options: ImageOptions,
): Promise<void> {
  const { podman } = options
  const policy = manifest.container.pull_policy
  const artifact = findImageArtifact(manifest, release)
  const present = await podman.imageExists(target)

  if (artifact) {
    if (present && !options.reload && policy !== 'always') return
    const archive = await fetchArtifact(artifact, options.origin, options.artifactsDir)
    const [loaded] = await podman.loadImage(archive)
    if (loaded !== undefined && loaded !== target) await podman.tagImage(loaded, target)
    return
  }

  if (policy === 'never') {
    if (present) return
    throw new ArchyError(
      'image-missing',
      `${manifest.id}: app.container.image: ${target} is not on this node and pull_policy is never`,
    )
  }
  if (present && policy === 'if-not-present') return
  await options.exec('podman', ['pull', target], { timeoutMs: PULL_TIMEOUT_MS })
}
