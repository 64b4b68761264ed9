// The signed release document (DESIGN.md §4, "Release document"): what a publisher signs and what
// every registry and agent verifies before using any of it.
import { posix } from 'node:path'

import { ValidationError, VerificationError } from '../errors.js'
import { isEd25519DidKey } from '../identity/did-key.js'
import { isHexDigest } from '../digest/blake3.js'
import type { AppManifest } from '../manifest/types.js'
import { requireValidManifests } from '../manifest/validate.js'
import { verifyDocument, type DataIntegrityProof } from '../proof/data-integrity.js'
import { isRfc3339Utc } from '../rfc3339.js'

export interface ReleaseArtifact {
  name: string
  blake3: string
  sha256: string
  size: number
  media_type: string
}

export interface ReleaseAuthor {
  did: string
  nostr_pubkey: string
}

export interface ReleaseDocument {
  type: 'ArchipelagoRelease'
  app: string
  version: string
  author: ReleaseAuthor
  /** The manifests as the publisher wrote them (root key `app`), primary first. */
  manifests: Record<string, unknown>[]
  artifacts: ReleaseArtifact[]
  published_at: string
  proof: DataIntegrityProof
}

export interface VerifiedRelease {
  release: ReleaseDocument
  /** The normalized manifests, primary first. */
  manifests: AppManifest[]
}

/** Checks a release document completely: shape, proof by author.did, manifests, artifacts. */
export function verifyRelease(value: unknown, path = 'release'): VerifiedRelease {
  const release = checkReleaseShape(value, path)
  const [signer] = verifyProofOf(release, path)
  if (signer !== release.author.did) {
    throw new VerificationError(`${path}.proof: signed by ${signer}, not by author.did`)
  }

  let manifests: AppManifest[]
  try {
    manifests = requireValidManifests(release.manifests)
  } catch (error) {
    throw new ValidationError(`${path}.manifests`, (error as Error).message, { cause: error })
  }
  const primary = manifests[0]!
  if (primary.id !== release.app) {
    throw new ValidationError(`${path}.manifests[0].app.id`, `must equal app "${release.app}"`)
  }
  if (primary.version !== release.version) {
    throw new ValidationError(`${path}.manifests[0].app.version`, `must equal "${release.version}"`)
  }
  checkArtifactReferences(release, manifests, path)
  return { release, manifests }
}

function verifyProofOf(release: ReleaseDocument, path: string): string[] {
  try {
    return verifyDocument(release).map((proof) => proof.did)
  } catch (error) {
    throw new VerificationError(`${path}: ${(error as Error).message}`, { cause: error })
  }
}

function checkReleaseShape(value: unknown, path: string): ReleaseDocument {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(path, 'must be a JSON object')
  }
  const r = value as Record<string, unknown>
  if (r.type !== 'ArchipelagoRelease') {
    throw new ValidationError(`${path}.type`, 'must be "ArchipelagoRelease"')
  }
  requireString(r.app, `${path}.app`)
  requireString(r.version, `${path}.version`)
  const author = r.author as Record<string, unknown> | undefined
  if (typeof author !== 'object' || author === null) {
    throw new ValidationError(`${path}.author`, 'must be an object with did and nostr_pubkey')
  }
  if (typeof author.did !== 'string' || !isEd25519DidKey(author.did)) {
    throw new ValidationError(`${path}.author.did`, 'must be an Ed25519 did:key')
  }
  if (!isHexDigest(author.nostr_pubkey)) {
    throw new ValidationError(`${path}.author.nostr_pubkey`, 'must be 64 lowercase hex characters')
  }
  if (!Array.isArray(r.manifests) || r.manifests.length === 0) {
    throw new ValidationError(`${path}.manifests`, 'must be a non-empty array')
  }
  if (!Array.isArray(r.artifacts))
    throw new ValidationError(`${path}.artifacts`, 'must be an array')
  r.artifacts.forEach((artifact, index) => checkArtifact(artifact, `${path}.artifacts[${index}]`))
  checkArtifactNamesUnique(r.artifacts as ReleaseArtifact[], path)
  if (typeof r.published_at !== 'string' || !isRfc3339Utc(r.published_at)) {
    throw new ValidationError(`${path}.published_at`, 'must be an RFC 3339 UTC timestamp')
  }
  return value as ReleaseDocument
}

function checkArtifact(value: unknown, path: string): void {
  const a = value as Record<string, unknown>
  if (typeof a !== 'object' || a === null) throw new ValidationError(path, 'must be an object')
  requireString(a.name, `${path}.name`)
  const name = posix.normalize(a.name)
  if (posix.isAbsolute(name) || name === '..' || name.startsWith('../')) {
    throw new ValidationError(
      `${path}.name`,
      `"${a.name}" must be a relative path inside the release`,
    )
  }
  if (!isHexDigest(a.blake3))
    throw new ValidationError(`${path}.blake3`, 'must be 64 lowercase hex')
  if (!isHexDigest(a.sha256))
    throw new ValidationError(`${path}.sha256`, 'must be 64 lowercase hex')
  if (!Number.isSafeInteger(a.size) || (a.size as number) < 0) {
    throw new ValidationError(`${path}.size`, 'must be a non-negative integer')
  }
  requireString(a.media_type, `${path}.media_type`)
}

/** Two artifacts under one name would leave the agent guessing which file a hook means. */
function checkArtifactNamesUnique(artifacts: ReleaseArtifact[], path: string): void {
  const seen = new Map<string, number>()
  artifacts.forEach((artifact, index) => {
    const name = posix.normalize(artifact.name)
    const first = seen.get(name)
    if (first !== undefined) {
      throw new ValidationError(
        `${path}.artifacts[${index}].name`,
        `"${artifact.name}" is already the name of artifacts[${first}]`,
      )
    }
    seen.set(name, index)
  })
}

/** Every `blake3:` image and every hook source must name an artifact of the release. */
function checkArtifactReferences(
  release: ReleaseDocument,
  manifests: AppManifest[],
  path: string,
): void {
  const digests = new Set(release.artifacts.map((artifact) => artifact.blake3))
  // Names compare normalized (`./f.txt` is `f.txt`), as the agent resolves them.
  const names = new Set(release.artifacts.map((artifact) => posix.normalize(artifact.name)))
  manifests.forEach((manifest, index) => {
    const image = manifest.container.image
    if (image.startsWith('file:')) {
      throw new ValidationError(
        `${path}.manifests[${index}].app.container.image`,
        'a file: reference must be turned into a blake3: artifact before signing',
      )
    }
    if (image.startsWith('blake3:') && !digests.has(image.slice('blake3:'.length))) {
      throw new ValidationError(
        `${path}.manifests[${index}].app.container.image`,
        'names a blake3 digest that is not among the release artifacts',
      )
    }
    manifest.hooks.post_install.forEach((step, stepIndex) => {
      if ('copy_from_host' in step && !names.has(posix.normalize(step.copy_from_host.src))) {
        throw new ValidationError(
          `${path}.manifests[${index}].app.hooks.post_install[${stepIndex}].copy_from_host.src`,
          `"${step.copy_from_host.src}" is not among the release artifacts`,
        )
      }
    })
  })
}

function requireString(value: unknown, path: string): asserts value is string {
  if (typeof value !== 'string' || value === '') {
    throw new ValidationError(path, 'must be a non-empty string')
  }
}
