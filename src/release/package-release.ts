// Turns manifest files into a signed release: `file:` images and hook sources become artifacts
// (BLAKE3 and SHA-256) and `blake3:` references. Artifacts are keyed by content and named by path
// from the folder all manifests share, so two folders' `img.tar` stay two artifacts.
import { realpath, stat } from 'node:fs/promises'
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path'

import { digestFile } from '../digest/blake3.js'
import { ValidationError } from '../errors.js'
import type { KeyPairs } from '../identity/key-file.js'
import { loadManifestFile } from '../manifest/load.js'
import { requireValidManifests, validateManifestSet } from '../manifest/validate.js'
import type { ManifestProblem } from '../manifest/validate.js'
import { signDocument } from '../proof/data-integrity.js'
import type { ReleaseArtifact, ReleaseDocument } from './release-document.js'

export interface LocalArtifact extends ReleaseArtifact {
  /** Where the bytes are on this machine (symlinks resolved). */
  path: string
}

export interface PackagedRelease {
  release: ReleaseDocument
  artifacts: LocalArtifact[]
  /** The manifests' warnings (unknown keys, references to apps not in the release), by file. */
  warnings: { file: string; problem: ManifestProblem }[]
}

/** Where one manifest's references are resolved, and how its errors name it. */
interface ManifestPlace {
  file: string
  folder: string
}

/** The artifacts collected so far, by BLAKE3 digest, named relative to `root`. */
interface ArtifactSet {
  root: string
  byDigest: Map<string, LocalArtifact>
}

/** Loads, validates and signs manifest files (primary first) as one release. */
export async function packageRelease(
  files: string[],
  keys: KeyPairs,
  options: { publishedAt?: Date } = {},
): Promise<PackagedRelease> {
  if (files.length === 0) throw new ValidationError('files', 'at least one manifest is needed')
  const documents = await Promise.all(files.map((file) => loadManifestFile(file)))
  requireValidManifests(documents)
  const warnings = validateManifestSet(documents).checks.flatMap((check, index) =>
    check.problems
      .filter((problem) => problem.severity === 'warning')
      .map((problem) => ({ file: files[index]!, problem })),
  )

  const places = files.map((file) => ({ file, folder: dirname(resolve(file)) }))
  const set: ArtifactSet = {
    root: findCommonFolder(places.map((place) => place.folder)),
    byDigest: new Map(),
  }
  const rewritten: Record<string, unknown>[] = []
  for (const [index, document] of documents.entries()) {
    const place = places[index]!
    rewritten.push(await rewriteFileReferences(document as Record<string, unknown>, place, set))
  }
  const manifests = requireValidManifests(rewritten)

  const primary = manifests[0]!
  const publishedAt = (options.publishedAt ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z')
  const artifacts = [...set.byDigest.values()]
  const unsigned = {
    type: 'ArchipelagoRelease' as const,
    app: primary.id,
    version: primary.version,
    author: { did: keys.ed25519.did, nostr_pubkey: keys.nostr.pubkey },
    manifests: rewritten,
    artifacts: artifacts.map(({ path: _path, ...artifact }) => artifact),
    published_at: publishedAt,
  }
  const release = signDocument(unsigned, keys.ed25519) as ReleaseDocument
  return { release, artifacts, warnings }
}

/** A copy of the document with `file:` images as `blake3:` and hook sources as artifact names. */
async function rewriteFileReferences(
  document: Record<string, unknown>,
  place: ManifestPlace,
  set: ArtifactSet,
): Promise<Record<string, unknown>> {
  const copy = structuredClone(document) as { app: Record<string, unknown> }
  const container = copy.app.container as Record<string, unknown>
  const image = container.image as string
  if (image.startsWith('file:')) {
    const reference = image.slice('file:'.length)
    const artifact = await collectArtifact(reference, 'app.container.image', place, set, 'image')
    container.image = `blake3:${artifact.blake3}`
  }

  // The agent looks a hook source up by artifact name, so the signed src is that name.
  const hooks = (copy.app.hooks as { post_install?: Record<string, unknown>[] } | undefined) ?? {}
  for (const [index, step] of (hooks.post_install ?? []).entries()) {
    const copyStep = step.copy_from_host as { src: string } | undefined
    if (!copyStep) continue
    const at = `app.hooks.post_install[${index}].copy_from_host.src`
    const artifact = await collectArtifact(copyStep.src, at, place, set, 'file')
    copyStep.src = artifact.name
  }
  return copy
}

/** Hashes the file a reference names and adds it to the set, once per distinct content. */
async function collectArtifact(
  reference: string,
  at: string,
  place: ManifestPlace,
  set: ArtifactSet,
  kind: 'image' | 'file',
): Promise<LocalArtifact> {
  const path = resolve(place.folder, reference)
  const real = await resolveReference(reference, at, place)
  const digests = await digestFile(real)
  const existing = set.byDigest.get(digests.blake3)
  if (existing) return existing
  const name = relative(set.root, path).split(sep).join('/')
  const mediaType = kind === 'image' ? 'application/x-tar' : 'application/octet-stream'
  const artifact = { name, ...digests, media_type: mediaType, path: real }
  set.byDigest.set(digests.blake3, artifact)
  return artifact
}

/**
 * The real path of a regular file a manifest references, inside the manifest's folder. Symlinks
 * are followed, but only to files that stay inside that folder.
 */
async function resolveReference(
  reference: string,
  at: string,
  place: ManifestPlace,
): Promise<string> {
  const path = resolve(place.folder, reference)
  const fail = (message: string): ValidationError =>
    new ValidationError(`${place.file}: ${at}`, `"${reference}" ${message}`)
  if (isAbsolute(reference) || leavesFolder(place.folder, path)) {
    throw fail('must be a path inside the manifest folder')
  }
  let real: string
  try {
    real = await realpath(path)
  } catch {
    throw fail(`names no file (looked for ${path})`)
  }
  const realFolder = await realpath(place.folder)
  if (leavesFolder(realFolder, real)) {
    throw fail(`is a link to ${real}, outside the manifest folder ${realFolder}`)
  }
  if (!(await stat(real)).isFile()) throw fail(`is not a regular file (${path})`)
  return real
}

/** The `file:` image and hook sources of a valid manifest that do not name a usable file. */
export async function checkFileReferences(
  document: Record<string, unknown>,
  file: string,
): Promise<ManifestProblem[]> {
  const app = document.app as Record<string, unknown>
  const image = (app.container as { image: string }).image
  const references: [string, string][] = []
  if (image.startsWith('file:')) references.push(['app.container.image', image.slice(5)])
  const hooks = (app.hooks as { post_install?: Record<string, unknown>[] } | undefined) ?? {}
  for (const [index, step] of (hooks.post_install ?? []).entries()) {
    const copyStep = step.copy_from_host as { src: string } | undefined
    const at = `app.hooks.post_install[${index}].copy_from_host.src`
    if (copyStep) references.push([at, copyStep.src])
  }

  const place = { file, folder: dirname(resolve(file)) }
  const problems: ManifestProblem[] = []
  for (const [at, reference] of references) {
    try {
      await resolveReference(reference, at, place)
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error
      const message = error.message.slice(error.path.length + 2)
      problems.push({ severity: 'error', path: at, message })
    }
  }
  return problems
}

/** True when `path` is not `folder` itself or below it. */
function leavesFolder(folder: string, path: string): boolean {
  const rest = relative(folder, path)
  return rest === '' || rest === '..' || rest.startsWith(`..${sep}`) || isAbsolute(rest)
}

/** The deepest folder that holds every one of `folders` (all absolute). */
function findCommonFolder(folders: string[]): string {
  const [first, ...others] = folders.map((folder) => folder.split(sep))
  let shared = first ?? []
  for (const parts of others) {
    let length = 0
    while (length < shared.length && shared[length] === parts[length]) length++
    shared = shared.slice(0, length)
  }
  return shared.join(sep) || sep
}
