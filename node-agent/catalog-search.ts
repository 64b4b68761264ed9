// Looking an app up in the followed catalogs: every registry's catalog is fetched and verified
// afresh; only entries of catalogs that verified are candidates. When none has the app, the
// first refusal is the error, so a tampered catalog is named rather than "not found".
import { ArchyError } from '../src/errors.js'
import type { AppAddress } from '../src/release/app-address.js'
import type { VerifiedRelease } from '../src/release/release-document.js'
import type { AgentStore } from './agent-store.js'
import { refreshRegistry } from './catalog-follower.js'

export interface CatalogCandidate {
  registryUrl: string
  verified: VerifiedRelease
  /** The entry's `address` (`id@<did>`): set when this publisher does not own the bare id there. */
  address?: string
}

/** The verified entries for an app id across followed registries, in the order they were added. */
export async function findCatalogCandidates(
  store: AgentStore,
  appId?: string,
): Promise<CatalogCandidate[]> {
  const registries = store.listRegistries()
  if (registries.length === 0) {
    throw new ArchyError(
      'no-registry',
      'no registry is followed; run: archy agent add-registry URL',
    )
  }
  const candidates: CatalogCandidate[] = []
  const failures: Error[] = []
  for (const registry of registries) {
    try {
      const verified = await refreshRegistry(store, registry)
      for (const entry of verified.entries) {
        if (appId !== undefined && entry.release.app !== appId) continue
        const address = (entry.entry as { address?: unknown }).address
        candidates.push({
          registryUrl: registry.url,
          verified: entry,
          ...(typeof address === 'string' && { address }),
        })
      }
    } catch (error) {
      failures.push(error as Error)
    }
  }
  if (candidates.length === 0 && failures.length > 0) throw failures[0]!
  return candidates
}

/**
 * Whether a candidate is what an address names (DESIGN.md §4, "Catalog"): `id@did` names that
 * publisher's app; a bare id names, on each registry, the entry that registry gives the bare id.
 */
export function matchesAddress(candidate: CatalogCandidate, address: AppAddress): boolean {
  const { release } = candidate.verified
  if (release.app !== address.id) return false
  if (address.did !== undefined) return release.author.did === address.did
  return candidate.address === undefined
}
