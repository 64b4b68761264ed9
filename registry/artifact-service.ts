// The node's artifact store wired up: blob files under `<data>/blobs`, their index in
// `<data>/blobs.sqlite`, the limits from the settings, and garbage collection on a timer.
import { join } from 'node:path'

import type { Logger } from '../src/log.js'
import { createArtifacts, type ArtifactLimits, type Artifacts } from './artifacts.js'
import { openBlobIndex } from './blob-index.js'
import { openBlobStore, type BlobStore } from './blob-store.js'
import type { RegistryMetrics } from './metrics.js'
import type { RegistryStore } from './store.js'

export const DEFAULT_BLOB_QUOTA_BYTES = 10 * 1024 ** 3
export const DEFAULT_BLOB_GRACE_SECONDS = 7 * 24 * 3600
export const DEFAULT_BLOB_GC_INTERVAL_MS = 3600 * 1000

export interface ArtifactServiceOptions extends ArtifactLimits {
  dataDir: string
  store: RegistryStore
  logger: Logger
  metrics: RegistryMetrics
  gcIntervalMs?: number
}

export interface ArtifactService {
  artifacts: Artifacts
  blobs: BlobStore
  close(): Promise<void>
}

/** Opens the artifact store and starts collecting garbage every `gcIntervalMs`. */
export async function openArtifactService(
  options: ArtifactServiceOptions,
): Promise<ArtifactService> {
  const { store, logger, metrics } = options
  const blobs = await openBlobStore(join(options.dataDir, 'blobs'), {
    maxBytes: options.maxBlobBytes,
  })
  const index = openBlobIndex(join(options.dataDir, 'blobs.sqlite'))
  const artifacts = createArtifacts({
    ...options,
    blobs,
    index,
    referencedBlobs: () => referencedBlobs(store),
    // Kept current between collections, which set the exact figure from the files on disk.
    onStoredBytes: (delta) => metrics.blobBytesStored.inc(delta),
  })

  async function collect(): Promise<void> {
    try {
      const report = await artifacts.collectGarbage()
      metrics.blobsCollected.inc(report.removed.length)
      const files = await blobs.list()
      metrics.blobBytesStored.set(files.reduce((sum, file) => sum + file.size, 0))
    } catch (error) {
      logger.warn({ err: error }, 'blob garbage collection failed')
    }
  }
  // One pass at a time, and close waits for the one under way.
  let running: Promise<void> | undefined
  const run = (): void => void (running ??= collect().finally(() => (running = undefined)))
  const timer = setInterval(run, options.gcIntervalMs ?? DEFAULT_BLOB_GC_INTERVAL_MS)
  timer.unref()
  run()

  return {
    artifacts,
    blobs,
    async close() {
      clearInterval(timer)
      await running
      index.close()
    },
  }
}

/**
 * Every BLAKE3 digest a kept release names. The store keeps every verified release, yanked ones
 * included (an installed yanked release can still be reinstalled), so their artifacts stay.
 */
export function referencedBlobs(store: RegistryStore): Set<string> {
  const digests = new Set<string>()
  for (const record of store.releases()) {
    const artifacts = (record.release as { artifacts?: { blake3?: unknown }[] }).artifacts ?? []
    for (const artifact of artifacts) {
      if (typeof artifact.blake3 === 'string') digests.add(artifact.blake3)
    }
  }
  return digests
}
