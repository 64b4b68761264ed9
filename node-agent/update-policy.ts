// Pins and auto-update (issue #5). A pin holds an install at one version: reconciles, reinstalls
// and `archy agent update` never move it elsewhere; only `pin` and `unpin` change it. Auto-update
// is off unless the operator turns it on: otherwise a newer release only shows in status.
import semver from 'semver'

import { ValidationError } from '../src/errors.js'
import type { Agent } from './agent-context.js'
import type { RegistryRecord, UpdatePolicy } from './agent-store.js'
import type { InstallRecord } from './agent-store.js'
import { requireInstall } from './installed-app.js'
import { fetchPublishedRelease } from './published-release.js'

/** Pins an install to `version` (default: the one installed); a version must exist to be pinned. */
export async function pinApp(
  agent: Agent,
  appId: string,
  version?: string,
): Promise<{ appId: string; pinnedVersion: string; installed: string }> {
  const install = requireInstall(agent, appId)
  const wanted = version ?? install.version
  if (semver.valid(wanted) !== wanted) {
    throw new ValidationError('VERSION', `"${wanted}" is not a SemVer version such as 1.4.2`)
  }
  const stored = (install.release as { version?: unknown }).version
  if (wanted !== install.version && wanted !== stored) await fetchPublishedRelease(install, wanted)
  agent.store.setPolicy(install.appId, { pinnedVersion: wanted })
  return { appId: install.appId, pinnedVersion: wanted, installed: install.version }
}

/** Removes the pin: updates may move the install again. */
export function unpinApp(agent: Agent, appId: string): { appId: string } {
  const install = requireInstall(agent, appId)
  agent.store.setPolicy(install.appId, { pinnedVersion: null })
  return { appId: install.appId }
}

/** Turns reconcile passes' automatic updates on or off for an install. */
export function setAutoUpdate(agent: Agent, appId: string, on: boolean): UpdatePolicy {
  const install = requireInstall(agent, appId)
  agent.store.setPolicy(install.appId, { autoUpdate: on })
  return agent.store.getPolicy(install.appId)
}

/**
 * The newest release of the install's publisher in its registry's last accepted catalog, when it
 * is newer than the one installed: shown by status, never acted on from here (an update fetches
 * and verifies the catalog afresh).
 */
export function findAvailableVersion(
  install: Pick<InstallRecord, 'appId' | 'registryUrl' | 'publisherDid' | 'release'>,
  registries: Pick<RegistryRecord, 'url' | 'catalog'>[],
): string | null {
  const catalog = registries.find((registry) => registry.url === install.registryUrl)?.catalog
  const apps = (catalog as { apps?: unknown } | null)?.apps
  const current = (install.release as { version?: unknown }).version
  if (!Array.isArray(apps) || typeof current !== 'string') return null
  const versions = (apps as { id?: unknown; version?: unknown; publisher?: { did?: unknown } }[])
    .filter((entry) => entry.id === install.appId && entry.publisher?.did === install.publisherDid)
    .map((entry) => entry.version)
    .filter((v): v is string => typeof v === 'string' && semver.valid(v) !== null)
    .filter((v) => semver.gt(v, current))
    .sort(semver.rcompare)
  return versions[0] ?? null
}
