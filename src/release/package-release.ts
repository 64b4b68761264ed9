// Turns manifest files into a signed release: `file:` images and hook sources become artifacts
// (hashed with BLAKE3 and SHA-256) and `blake3:` references, then the document is signed.
import { stat } from 'node:fs/promises'
import { dirname, isAbsolute, relative, resolve } from 'node:path'

import { digestFile } from '../digest/blake3.js'
import { ValidationError } from '../errors.js'
import type { KeyPairs } from '../identity/key-file.js'
import { loadManifestFile } from '../manifest/load.js'
import { requireValidManifests } from '../manifest/validate.js'
import { signDocument } from '../proof/data-integrity.js'
import type { ReleaseArtifact, ReleaseDocument } from './release-document.js'

export interface LocalArtifact extends ReleaseArtifact {
  /** Where the bytes are on this machine. */
  path: string
}

export interface PackagedRelease {
  release: ReleaseDocument
  artifacts: LocalArtifact[]
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

  const artifacts = new Map<string, LocalArtifact>()
  const rewritten: Record<string, unknown>[] = []
  for (const [index, document] of documents.entries()) {
    const base = dirname(resolve(files[index]!))
    rewritten.push(
      await rewriteFileReferences(document as Record<string, unknown>, base, artifacts),
    )
  }
  const manifests = requireValidManifests(rewritten)
  const primary = manifests[0]!
  const publishedAt = (options.publishedAt ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z')
  const unsigned = {
    type: 'ArchipelagoRelease' as const,
    app: primary.id,
    version: primary.version,
    author: { did: keys.ed25519.did, nostr_pubkey: keys.nostr.pubkey },
    manifests: rewritten,
    artifacts: [...artifacts.values()].map(({ path: _path, ...artifact }) => artifact),
    published_at: publishedAt,
  }
  const release = signDocument(unsigned, keys.ed25519) as ReleaseDocument
  return { release, artifacts: [...artifacts.values()] }
}

async function rewriteFileReferences(
  document: Record<string, unknown>,
  base: string,
  artifacts: Map<string, LocalArtifact>,
): Promise<Record<string, unknown>> {
  const copy = structuredClone(document) as { app: Record<string, unknown> }
  const container = copy.app.container as Record<string, unknown>
  const image = container.image as string
  if (image.startsWith('file:')) {
    const artifact = await addArtifact(image.slice('file:'.length), base, artifacts, 'image')
    container.image = `blake3:${artifact.blake3}`
  }
  const hooks = (copy.app.hooks as { post_install?: Record<string, unknown>[] } | undefined) ?? {}
  for (const step of hooks.post_install ?? []) {
    const copyStep = step.copy_from_host as { src: string } | undefined
    if (copyStep) await addArtifact(copyStep.src, base, artifacts, 'file')
  }
  return copy
}

async function addArtifact(
  reference: string,
  base: string,
  artifacts: Map<string, LocalArtifact>,
  kind: 'image' | 'file',
): Promise<LocalArtifact> {
  const path = resolve(base, reference)
  const name = relative(base, path)
  if (isAbsolute(reference) || name.startsWith('..')) {
    throw new ValidationError(reference, 'must be a path inside the manifest folder')
  }
  const existing = artifacts.get(name)
  if (existing) return existing
  try {
    await stat(path)
  } catch {
    throw new ValidationError(reference, `file not found at ${path}`)
  }
  const digests = await digestFile(path)
  const mediaType = kind === 'image' ? 'application/x-tar' : 'application/octet-stream'
  const artifact = { name, ...digests, media_type: mediaType, path }
  artifacts.set(name, artifact)
  return artifact
}
