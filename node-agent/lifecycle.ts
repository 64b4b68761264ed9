// start, stop, restart and uninstall of an installed app (the whole stack for a stack). Each sets
// the desired state in the store first, then reconciles, so a crash half way converges later.
import { ArchyError } from '../src/errors.js'
import { isAppDependency, type AppManifest } from '../src/manifest/types.js'
import { verifyRelease } from '../src/release/release-document.js'
import type { Agent } from './agent-context.js'
import { appDataDir } from './agent-paths.js'
import type { DesiredState } from './agent-store.js'
import { waitForHealthy } from './health-wait.js'
import { loadInstalledApp, loadOtherManifests, requireInstall } from './installed-app.js'
import { listVolumes } from './plan-rules.js'
import type { PodmanContainer } from './podman.js'
import { listContainersOnce, reconcileInstalledApp, type AppliedStep } from './reconciler.js'
import { findMemberContainer, findOtherAgent } from './reconcile-decision.js'
import { removeSecrets } from './secret-files.js'
import { orderByDependencies } from './stack-plan.js'
import { removeUnits } from './units.js'
import { snapshotsDirOf } from './data-snapshot.js'
import { resumeUpdate } from './update.js'
import { controlService, removeQuadletUnits } from './quadlet-mode.js'
import { checkCrashLoop, recordFailure } from './crash-loop.js'
import { ensureStackNames, STACK_NAMES_ERROR } from './stack-names.js'

/** Sets the desired state of an app and converges on it. */
export async function setAppState(
  agent: Agent,
  appId: string,
  desired: DesiredState,
): Promise<AppliedStep[]> {
  const install = requireInstall(agent, appId)
  agent.store.setDesired(install.appId, desired)
  // An explicit start or stop retries a crash-looping app at once (crash-loop.ts).
  agent.store.clearCrashLoop(install.appId)
  return reconcileApp(agent, install.appId)
}

/** Reconciles one install, recording the outcome (the error, or none) in the store. */
export async function reconcileApp(
  agent: Agent,
  appId: string,
  listed?: PodmanContainer[],
): Promise<AppliedStep[]> {
  const install = requireInstall(agent, appId)
  // An update a crash interrupted is finished, or rolled back, under its health gate.
  const update = agent.store.getUpdate(install.appId)
  if (update?.state === 'updating') return resumeUpdate(agent, update)
  const app = await loadInstalledApp(agent, install)
  const warnings = install.warnings
  let containers: PodmanContainer[] | undefined
  try {
    // A pass lists once for every install (`listed`); a command on one app lists for itself.
    containers = listed ?? (await listContainersOnce(agent))
    // A crash-looping app backing off is left alone (its failing member stopped) until its retry.
    const backoff = await checkCrashLoop(agent, app, containers)
    if (backoff.hold) return backoff.steps
    const steps = await reconcileInstalledApp(agent, app, containers)
    agent.store.setOutcome(install.appId, { warnings, lastError: null })
    return steps
  } catch (error) {
    agent.store.setOutcome(install.appId, { warnings, lastError: (error as Error).message })
    // The app's own failure counts towards a crash loop; a Podman that cannot list does not.
    if (containers && isAppFailure(error, install.desired)) {
      await recordFailure(agent, app, error as Error, containers)
    }
    throw error
  }
}

function isAppFailure(error: unknown, desired: DesiredState): boolean {
  const code = error instanceof ArchyError ? error.code : undefined
  // A stack whose names do not resolve runs: its DNS is Podman's fault, never a crash loop.
  const notTheApps = ['other-agent', 'podman-unavailable', STACK_NAMES_ERROR]
  return desired === 'running' && !notTheApps.includes(code ?? '')
}

/** Stops every member (dependents first), then starts them (dependencies first). */
export async function restartApp(agent: Agent, appId: string): Promise<void> {
  const install = requireInstall(agent, appId)
  agent.store.setDesired(install.appId, 'running')
  agent.store.clearCrashLoop(install.appId)
  await reconcileApp(agent, install.appId)

  const app = await loadInstalledApp(agent, agent.store.getInstall(install.appId)!)
  const containers = await listContainersOnce(agent)
  const named = app.members.map((member) => {
    const record = app.records.find((candidate) => candidate.appId === member.manifest.id)
    const container = findMemberContainer(containers, member.manifest.id, {
      ...(record && { recorded: record.containerName }),
      legacy: member.manifest.container.legacy_names,
    })
    if (!container) throw new ArchyError('no-container', `${member.manifest.id} has no container`)
    return { member, name: container.name }
  })
  // Quadlet mode: systemd owns the containers (a podman stop would be restarted by it).
  const quadlet = install.mode === 'quadlet'
  for (const { name } of [...named].reverse()) {
    if (quadlet) await controlService(agent.exec, 'stop', name)
    else await agent.podman.stop(name)
  }
  for (const { member, name } of named) {
    if (quadlet) await controlService(agent.exec, 'start', name)
    else await agent.podman.start(name)
    const target = { appId: member.manifest.id, name, hasCheck: member.spec.health !== undefined }
    await waitForHealthy(agent.podman, target, { timeoutMs: agent.healthTimeoutMs })
  }
  if (quadlet) return
  try {
    await ensureStackNames(agent, app)
  } catch (error) {
    // Recorded as a pass records it, so the next pass checks the names again.
    const lastError = (error as Error).message
    agent.store.setOutcome(install.appId, { warnings: install.warnings, lastError })
    throw error
  }
}

export interface UninstallResult {
  removed: string[]
  /** Containers under a member's name that another agent state manages, left as they are. */
  otherAgents: string[]
  purged: string[]
  volumes: string[]
}

/**
 * Removes the app's containers and units and forgets the install. Data, secrets and named volumes
 * stay unless `purge`, which deletes `<data root>/<id>` (as the user namespace's root, since files
 * there belong to the app's uid), the secrets the stack owns and its `archy.<id>.*` volumes.
 * A container another agent state manages is left as it is (and --purge refused). A stack
 * member, or an app another installed app depends on, is refused. It works from the
 * verified manifests, not a plan, so a node that lost a placeholder value can still uninstall.
 */
export async function uninstallApp(
  agent: Agent,
  appId: string,
  options: { purge: boolean },
): Promise<UninstallResult> {
  const owner = agent.store.findOwner(appId)
  if (owner !== undefined && owner !== appId) {
    throw new ArchyError(
      'part-of-stack',
      `${appId} is part of the ${owner} stack; uninstall ${owner}`,
    )
  }
  const install = requireInstall(agent, appId)
  const stored = verifyRelease(install.release, `${install.appId}: stored release`)
  const manifests = orderByDependencies(stored.manifests)
  checkNoDependents(
    agent,
    install.appId,
    manifests.map((manifest) => manifest.id),
  )

  const containers = await listContainersOnce(agent)
  const records = agent.store.listMembers(install.appId)
  const found = [...manifests].reverse().map((manifest) => {
    const record = records.find((candidate) => candidate.appId === manifest.id)
    return findMemberContainer(containers, manifest.id, {
      ...(record && { recorded: record.containerName }),
      legacy: manifest.container.legacy_names,
    })
  })
  // Another agent state's container is never removed from here; its Podman secrets and volumes
  // (`archy.<id>.*`, one namespace per user) are that state's too, so --purge is refused.
  const others = found.filter(
    (container): container is PodmanContainer =>
      container !== undefined && findOtherAgent(container, agent.agentId) !== undefined,
  )
  const kept = others.map((container) => container.name)
  if (options.purge && kept.length > 0) {
    throw new ArchyError(
      'other-agent',
      `--purge: container ${kept.join(', ')} is managed by another agent state, which shares ` +
        `the app's Podman secrets and volumes; uninstall without --purge`,
    )
  }
  // Quadlet mode: the units go first, or systemd would start the containers again.
  if (install.mode === 'quadlet') {
    const names = manifests.map((manifest) => manifest.id)
    await removeQuadletUnits({ exec: agent.exec, paths: agent.paths }, names)
  }
  const removed: string[] = []
  for (const container of found) {
    if (!container || others.includes(container)) continue
    await agent.podman.remove(container.name)
    removed.push(container.name)
  }
  // Networks hold no data: each goes once no container uses it (a shared one stays).
  for (const network of new Set(manifests.flatMap(networksOf))) {
    await agent.podman.removeUnusedNetwork(network)
  }
  await removeUnits(agent, install.appId)
  agent.store.deleteInstall(install.appId)
  if (!options.purge) return { removed, otherAgents: kept, purged: [], volumes: [] }

  const purged: string[] = []
  const volumes: string[] = []
  for (const manifest of manifests) {
    const dir = appDataDir(agent.paths, manifest.id)
    await agent.exec('podman', ['unshare', 'rm', '-rf', '--', dir], { timeoutMs: 300_000 })
    const snapshots = snapshotsDirOf(agent, manifest.id)
    await agent.exec('podman', ['unshare', 'rm', '-rf', '--', snapshots], { timeoutMs: 300_000 })
    await removeSecrets(
      agent.podman,
      agent.paths.secretsDir,
      manifest.id,
      manifest.generated_secrets,
    )
    purged.push(dir)
    for (const volume of listVolumes(manifest)) {
      await agent.podman.removeVolume(volume)
      volumes.push(volume)
    }
  }
  return { removed, otherAgents: kept, purged, volumes }
}
function networksOf(manifest: AppManifest): string[] {
  const policy = manifest.security.network_policy
  return [manifest.container.network, ...(policy === 'isolated' ? [] : [policy])]
}

/** Refuses when an app of another install depends on one of these members. */
function checkNoDependents(agent: Agent, installId: string, memberIds: string[]): void {
  for (const manifest of loadOtherManifests(agent, installId)) {
    const needed = manifest.dependencies
      .filter(isAppDependency)
      .find((dependency) => memberIds.includes(dependency.app_id))
    if (!needed) continue
    const dependent = agent.store.findOwner(manifest.id) ?? manifest.id
    throw new ArchyError(
      'has-dependents',
      `${manifest.id} depends on ${needed.app_id}; uninstall ${dependent} first`,
    )
  }
}
