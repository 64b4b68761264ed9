// An install read back from the store as something to act on: its stored release re-verified
// (the store is trusted for desired state, never for signatures) and planned for this node.
import { ArchyError } from '../src/errors.js'
import type { AppManifest } from '../src/manifest/types.js'
import { createHash } from 'node:crypto'
import { verifyRelease, type ReleaseDocument } from '../src/release/release-document.js'
import type { VerifiedRelease } from '../src/release/release-document.js'
import type { Agent } from './agent-context.js'
import type { InstallRecord, MemberRecord } from './agent-store.js'
import { planStack, type PlannedMember } from './stack-plan.js'

export interface InstalledApp {
  install: InstallRecord
  release: ReleaseDocument
  members: PlannedMember[]
  records: MemberRecord[]
}

/** The install that APP names: its own id, or a member of a stack (then the stack). */
export function requireInstall(agent: Agent, appId: string): InstallRecord {
  const owner = agent.store.findOwner(appId) ?? appId
  const install = agent.store.getInstall(owner)
  if (!install) throw new ArchyError('not-installed', `${appId} is not installed on this node`)
  return install
}

/** Re-verifies and plans an install. */
export async function loadInstalledApp(
  agent: Agent,
  install: InstallRecord,
): Promise<InstalledApp> {
  const { release, manifests } = verifyStoredRelease(install)
  const members = planStack(manifests, agent.context, {
    limits: await agent.limitSupport(),
    agentId: agent.agentId,
    installed: loadOtherManifests(agent, install.appId),
  })
  return { install, release, members, records: agent.store.listMembers(install.appId) }
}

/** The manifests of every other install, for dependencies that live outside a stack. */
export function loadOtherManifests(agent: Agent, exceptAppId: string): AppManifest[] {
  return agent.store
    .listInstalls()
    .filter((install) => install.appId !== exceptAppId)
    .flatMap((install) => verifyStoredRelease(install).manifests)
}

// Every app's plan reads every other install's manifests: verifying each of them again made a
// pass quadratic (50 apps, 2,500 signature checks). The same bytes verify the same way, so a
// release is verified once per content (keyed by the SHA-256 of its JSON) and reused.
const verifiedReleases = new Map<string, VerifiedRelease>()
const VERIFIED_RELEASES_MAX = 1_000

function verifyStoredRelease(install: InstallRecord): VerifiedRelease {
  const key = createHash('sha256').update(JSON.stringify(install.release)).digest('hex')
  const cached = verifiedReleases.get(key)
  if (cached) return cached
  const verified = verifyRelease(install.release, `${install.appId}: stored release`)
  if (verifiedReleases.size >= VERIFIED_RELEASES_MAX) verifiedReleases.clear()
  verifiedReleases.set(key, verified)
  return verified
}
