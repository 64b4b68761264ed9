// The reconciler (DESIGN.md §5): level-triggered, one container listing per pass, a decision per
// app (reconcile-decision.ts) and the steps that carry it out. Data directories are only ever
// created or added to here, never removed.
import { ArchyError } from '../src/errors.js'
import type { Agent } from './agent-context.js'
import type { DesiredState, MemberRecord } from './agent-store.js'
import { AGENT_LABEL } from './config-hash.js'
import { prepareAppData } from './app-data.js'
import { checkBindSources } from './bind-sources.js'
import { ensureImage } from './images.js'
import { runPostInstallHooks } from './hooks.js'
import { waitForHealthy } from './health-wait.js'
import type { InstalledApp } from './installed-app.js'
import type { PodmanContainer } from './podman.js'
import { renderPodmanRunArgs } from './podman-args.js'
import { controlService, holdService } from './quadlet-mode.js'
import { decideMember, findMemberContainer } from './reconcile-decision.js'
import type { MemberDecision, MemberStep } from './reconcile-decision.js'
import { ensurePodmanSecret, ensureSecretFile } from './secret-files.js'
import { ensureStackNames, isStackNamesError } from './stack-names.js'
import type { PlannedMember } from './stack-plan.js'

export interface ReconcileOptions {
  /** Load images even when their tag exists (install: the tag must name the release's bytes). */
  reloadImages?: boolean
  /** Make missing data directories and files of members that are kept (an explicit install). */
  refreshData?: boolean
  /** Wait for health only within each manifest's own window (an update's gate: update.ts). */
  healthWindow?: boolean
  /** Leave the installed version as it is: a resumed update records it once its gate holds. */
  keepVersion?: boolean
}

/** The least time an update's new release is given to become healthy. */
const MIN_HEALTH_WINDOW_MS = 10_000

/**
 * How long a member may take to become healthy: its check's start period plus every retry with
 * its interval and timeout, as Podman counts a container unhealthy; at least 10 s and never more
 * than the agent's own bound.
 */
export function healthWindowMs(member: PlannedMember, boundMs: number): number {
  const health = member.spec.health
  if (!health) return Math.min(MIN_HEALTH_WINDOW_MS, boundMs)
  const window = health.startPeriod + health.retries * (health.interval + health.timeout)
  return Math.min(Math.max(window, MIN_HEALTH_WINDOW_MS), boundMs)
}

export interface AppliedStep {
  appId: string
  step: MemberStep
  reason: string
}

export interface MemberPlan {
  member: PlannedMember
  container: PodmanContainer | undefined
  decision: MemberDecision
}

/**
 * Decides every member against one listing, in the order given. A container that another agent
 * state manages fails the whole pass before any step, naming it: it is never adopted, recreated,
 * stopped or removed.
 */
export function decideMembers(
  agent: Pick<Agent, 'agentId'>,
  members: PlannedMember[],
  records: MemberRecord[],
  desired: DesiredState,
  containers: PodmanContainer[],
): MemberPlan[] {
  const plans = members.map((member): MemberPlan => {
    const id = member.manifest.id
    const record = records.find((candidate) => candidate.appId === id)
    const container = findMemberContainer(containers, id, {
      ...(record && { recorded: record.containerName }),
      legacy: member.manifest.container.legacy_names,
    })
    const decision = decideMember({
      appId: id,
      agentId: agent.agentId,
      desired,
      configHash: member.configHash,
      ...(container && { container }),
      adopted: record?.adopted ?? false,
      recordedHash: record?.configHash ?? null,
    })
    return { member, container, decision }
  })
  const taken = plans.find((plan) => plan.decision.otherAgent !== undefined)
  if (taken) {
    throw new ArchyError(
      'other-agent',
      `${taken.member.manifest.id}: container ${taken.container!.name} is managed by another ` +
        `agent state (label ${AGENT_LABEL}=${taken.decision.otherAgent}); this agent never ` +
        'adopts, recreates, stops or removes it: manage the app from that state (--state)',
    )
  }
  return plans
}

/** Converges one install on its desired state; returns the steps taken. */
export async function reconcileInstalledApp(
  agent: Agent,
  app: InstalledApp,
  containers: PodmanContainer[],
  options: ReconcileOptions = {},
): Promise<AppliedStep[]> {
  const desired = app.install.desired
  // Start dependencies first; stop dependents first.
  const members = desired === 'running' ? app.members : [...app.members].reverse()
  const plans = decideMembers(agent, members, app.records, desired, containers)
  const applied: AppliedStep[] = []
  for (const { member, container, decision } of plans) {
    const id = member.manifest.id
    // A create prepares the data itself; a kept container gets back what went missing.
    const creates = decision.steps.some((step) => step === 'create' || step === 'recreate')
    if (options.refreshData && !creates) await prepareData(agent, member)
    for (const step of decision.steps) {
      await applyStep(agent, app, member, step, container, options)
      applied.push({ appId: id, step, reason: decision.reason })
    }
  }
  // In podman mode the members' names are checked once they run (quadlet mode's systemd hosts
  // reap aardvark-dns as they should): after a start, and at every pass while they failed.
  const started = applied.some((step) => ['create', 'recreate', 'start'].includes(step.step))
  const checkNames = started || isStackNamesError(app.install.lastError)
  if (desired === 'running' && app.install.mode === 'podman' && checkNames) {
    await ensureStackNames(agent, app)
  }
  // Every member now runs this release: it is the installed version (DESIGN.md §5).
  const settled = desired === 'running' && !options.keepVersion
  if (settled && app.install.version !== app.release.version) {
    agent.store.setInstalledVersion(app.install.appId, app.release.version)
  }
  return applied
}

async function applyStep(
  agent: Agent,
  app: InstalledApp,
  member: PlannedMember,
  step: MemberStep,
  container: PodmanContainer | undefined,
  options: ReconcileOptions,
): Promise<void> {
  const id = member.manifest.id
  const hasCheck = member.spec.health !== undefined
  switch (step) {
    case 'adopt':
      // Podman cannot relabel a container: remember it, and where it came from, and label it at
      // its next recreate.
      agent.store.updateMember(id, {
        adopted: true,
        containerName: container!.name,
        configHash: member.configHash,
        migration: {
          foundName: container!.name,
          legacyName: member.manifest.container.legacy_names.includes(container!.name),
          version: app.release.version,
          adoptedAt: new Date().toISOString(),
          relabelledAt: null,
        },
      })
      return
    case 'start':
      // Quadlet mode: the unit's start recreates the container (`run --replace`) and its hooks.
      if (app.install.mode === 'quadlet') return startUnit(agent, app, member, options, 'start')
      await agent.podman.start(container!.name)
      await waitForHealthy(
        agent.podman,
        { appId: id, name: container!.name, hasCheck },
        {
          timeoutMs: agent.healthTimeoutMs,
        },
      )
      return
    case 'stop':
      // Quadlet mode: masked too, or the unit's WantedBy= would start it at the next boot.
      if (app.install.mode === 'quadlet' && container!.name === member.spec.name) {
        await holdService(agent.exec, member.spec.name)
      } else {
        await agent.podman.stop(container!.name)
      }
      return
    case 'recreate': {
      // Everything the new container needs is ready before the old one goes, so a failure
      // here leaves the running app as it was.
      const redact = await prepareMember(agent, app, member, options)
      if (app.install.mode === 'quadlet') {
        // The unit replaces a container of its own name; one under another name goes first.
        if (container!.name !== member.spec.name) await agent.podman.remove(container!.name)
        return startUnit(agent, app, member, options, 'restart')
      }
      await agent.podman.remove(container!.name)
      await createMember(agent, app, member, redact, options)
      return
    }
    case 'create': {
      const redact = await prepareMember(agent, app, member, options)
      if (app.install.mode === 'quadlet') return startUnit(agent, app, member, options, 'start')
      await createMember(agent, app, member, redact, options)
      return
    }
  }
}

/**
 * Everything a new container needs: data, image, networks, secrets. Returns the secret values,
 * which must never appear in an error or log.
 */
async function prepareMember(
  agent: Agent,
  app: InstalledApp,
  member: PlannedMember,
  options: ReconcileOptions,
): Promise<string[]> {
  const { podman, paths } = agent
  const { manifest, spec } = member
  const shared = sharedOptions(agent, app)

  // Data first: a planted symlink or a bind source resolving outside its directory stops the
  // create before any image, network, secret or container is made for it.
  await prepareData(agent, member)

  await ensureImage(manifest, app.release, spec.image, {
    ...shared,
    reload: options.reloadImages ?? false,
  })
  for (const network of [spec.network, ...spec.extraNetworks]) await podman.createNetwork(network)

  const redact: string[] = []
  for (const { ownerAppId, secret } of member.secrets) {
    const file = await ensureSecretFile(paths.secretsDir, ownerAppId, secret, podman)
    redact.push(file.value)
    await ensurePodmanSecret(podman, ownerAppId, secret, file)
  }
  return redact
}

/** The member's data directories and files, made where missing; its bind sources checked. */
async function prepareData(agent: Agent, member: PlannedMember): Promise<void> {
  const data = { dataRoot: agent.paths.dataRoot, exec: agent.exec }
  await prepareAppData(member.manifest, member.spec, data)
  await checkBindSources(member.spec, data)
}

/**
 * The container, its hooks and its health, once prepareMember has made what it needs. The store
 * records the config hash only once the hooks succeeded: until then the next pass creates again.
 */
async function createMember(
  agent: Agent,
  app: InstalledApp,
  member: PlannedMember,
  redact: string[],
  options: ReconcileOptions,
): Promise<void> {
  const { podman } = agent
  const { manifest, spec } = member
  const shared = sharedOptions(agent, app)
  await podman.run(renderPodmanRunArgs(spec, { restart: 'unless-stopped' }))
  agent.store.updateMember(manifest.id, {
    containerName: spec.name,
    configHash: null,
    adopted: false,
    ...noteRelabelled(agent, app, manifest.id),
  })
  await runPostInstallHooks(manifest, app.release, spec.name, { ...shared, redact })
  agent.store.updateMember(manifest.id, { configHash: member.configHash })
  await waitForHealthy(
    podman,
    { appId: spec.appId, name: spec.name, hasCheck: spec.health !== undefined },
    {
      timeoutMs: options.healthWindow
        ? healthWindowMs(member, agent.healthTimeoutMs)
        : agent.healthTimeoutMs,
    },
  )
}

/**
 * Quadlet mode's create: (re)starting the unit makes the container and runs the post_install
 * hooks as ExecStartPost= steps, so systemctl returns only once they ran; then the health wait.
 * Only a recreate restarts: a start joins a start systemd already runs (at boot, the daemon's
 * first pass may list the containers before the units have made them) instead of redoing it.
 */
async function startUnit(
  agent: Agent,
  app: InstalledApp,
  member: PlannedMember,
  options: ReconcileOptions,
  verb: 'start' | 'restart',
): Promise<void> {
  const { manifest, spec } = member
  agent.store.updateMember(manifest.id, {
    containerName: spec.name,
    configHash: null,
    adopted: false,
    ...noteRelabelled(agent, app, manifest.id),
  })
  await controlService(agent.exec, verb, spec.name)
  agent.store.updateMember(manifest.id, { configHash: member.configHash })
  await waitForHealthy(
    agent.podman,
    { appId: spec.appId, name: spec.name, hasCheck: spec.health !== undefined },
    {
      timeoutMs: options.healthWindow
        ? healthWindowMs(member, agent.healthTimeoutMs)
        : agent.healthTimeoutMs,
    },
  )
}

/**
 * A container the agent made replaces an adopted one: the adoption's record stays as history of
 * where the app came from, marked with when the container got the agent's labels.
 */
function noteRelabelled(
  agent: Agent,
  app: InstalledApp,
  memberId: string,
): Pick<MemberRecord, 'migration'> {
  const records = agent.store.listMembers(app.install.appId)
  const migration = records.find((record) => record.appId === memberId)?.migration
  if (!migration || migration.relabelledAt !== null) return {}
  return { migration: { ...migration, relabelledAt: new Date().toISOString() } }
}

function sharedOptions(agent: Agent, app: InstalledApp) {
  const { podman, exec, paths } = agent
  return { podman, exec, origin: app.install.registryUrl, artifactsDir: paths.artifactsDir }
}

/** Lists containers once; a failing Podman is an error here, never "no containers". */
export async function listContainersOnce(agent: Agent): Promise<PodmanContainer[]> {
  try {
    return await agent.podman.listContainers()
  } catch (error) {
    throw new ArchyError(
      'podman-unavailable',
      `cannot list containers: ${(error as Error).message}`,
      {
        cause: error,
      },
    )
  }
}
