// Images (DESIGN.md §4): a `blake3:` archive is fetched, verified, `podman load`ed and tagged with
// the name the spec runs; a registry reference is pulled as its pull_policy says. A tag alone is
// never trusted: `podman load` applies whatever names an archive carries, even another app's tag.
import { ArchyError, ValidationError, VerificationError } from '../src/errors.js'
import type { AppManifest } from '../src/manifest/types.js'
import type { ReleaseArtifact, ReleaseDocument } from '../src/release/release-document.js'
import { fetchArtifact } from './artifact-fetch.js'
import type { Exec } from './exec.js'
import { readImagePin, writeImagePin } from './image-pins.js'
import type { Podman } from './podman.js'
import { isImageId } from './podman-output.js'

export interface ImageOptions {
  podman: Podman
  exec: Exec
  origin: string
  artifactsDir: string
  /** Load even when the tag names the verified image (a fresh install). */
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

/**
 * Makes sure `target` names the manifest's image and returns that image's ID. For an archive the
 * tag is reused only while it points at the ID its verified bytes loaded as (pinned per digest);
 * otherwise the archive is loaded again from the verified artifact.
 */
export async function ensureImage(
  manifest: AppManifest,
  release: ReleaseDocument,
  target: string,
  options: ImageOptions,
): Promise<string> {
  const { podman } = options
  const policy = manifest.container.pull_policy
  const artifact = findImageArtifact(manifest, release)

  if (artifact) {
    const pinned = await readImagePin(options.artifactsDir, artifact.blake3)
    if (!options.reload && policy !== 'always' && pinned !== undefined) {
      if ((await podman.imageId(target)) === pinned) return pinned
    }
    return loadVerifiedImage(artifact, target, options)
  }

  const present = await podman.imageId(target)
  if (policy === 'never') {
    if (present !== undefined) return present
    throw new ArchyError(
      'image-missing',
      `${manifest.id}: app.container.image: ${target} is not on this node and pull_policy is never`,
    )
  }
  if (present !== undefined && policy === 'if-not-present') return present
  await options.exec('podman', ['pull', target], { timeoutMs: PULL_TIMEOUT_MS })
  const pulled = await podman.imageId(target)
  if (pulled === undefined) {
    throw new ArchyError('podman-output', `podman pull ${target}: no image by that name after`)
  }
  return pulled
}

/**
 * Loads the verified archive, drops the names it carried that could shadow another app's image or
 * a registry reference, tags its ID as `target` and pins digest -> ID.
 */
async function loadVerifiedImage(
  artifact: ReleaseArtifact,
  target: string,
  options: ImageOptions,
): Promise<string> {
  const { podman } = options
  const archive = await fetchArtifact(artifact, options.origin, options.artifactsDir)
  const names = await podman.loadImage(archive)
  const loaded = names[0]!
  const id = await podman.imageId(loaded)
  if (id === undefined) {
    throw new ArchyError('podman-output', `podman load ${artifact.name}: ${loaded} is not an image`)
  }

  for (const name of names) {
    if (name !== target && canShadow(name)) await podman.untagImage(name)
  }
  await podman.tagImage(id, target)
  const tagged = await podman.imageId(target)
  if (tagged !== id) {
    throw new VerificationError(
      `${target}: names image ${tagged ?? '(none)'} ` +
        `right after tagging ${id} from ${artifact.name}`,
    )
  }
  await writeImagePin(options.artifactsDir, artifact.blake3, id)
  return id
}

/**
 * Whether a name an archive carried could stand for something else: another app's tag (ours, under
 * `localhost/archy/`) or a registry reference. Other `localhost/` names can only come from local
 * loads and builds, so they are left alone (a shared example image keeps its name).
 */
function canShadow(name: string): boolean {
  if (isImageId(name)) return false
  return !name.startsWith('localhost/') || name.startsWith('localhost/archy/')
}
