// An install read back from the store as something to act on: its stored release re-verified
// (the store is trusted for desired state, never for signatures) and planned for this node.
import { ArchyError } from '../src/errors.js'
import type { AppManifest } from '../src/manifest/types.js'
import { verifyRelease, type ReleaseDocument } from '../src/release/release-document.js'
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
  const { release, manifests } = verifyRelease(install.release, `${install.appId}: stored release`)
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
    .flatMap(
      (install) => verifyRelease(install.release, `${install.appId}: stored release`).manifests,
    )
}
