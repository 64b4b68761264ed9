// `archy agent install APP`: find the app in the followed catalogs (verified afresh), check that
// this node can honour it, fetch and verify every artifact, and only then record the install and
// reconcile it. A refusal before that point leaves nothing behind: no record, container or data.

import { ArchyError } from '../src/errors.js'
import { isAppDependency } from '../src/manifest/types.js'
import type { AppManifest } from '../src/manifest/types.js'
import { formatAppAddress, parseAppAddress, type AppAddress } from '../src/release/app-address.js'
import { verifyRelease, type VerifiedRelease } from '../src/release/release-document.js'
import type { Agent } from './agent-context.js'
import type { InstallRecord, MemberRecord } from './agent-store.js'
import { fetchArtifact } from './artifact-fetch.js'
import { ensureImage } from './images.js'
import { findCatalogCandidates, matchesAddress, type CatalogCandidate } from './catalog-search.js'
import { loadOtherManifests, type InstalledApp } from './installed-app.js'
import {
  decideMembers,
  listContainersOnce,
  reconcileInstalledApp,
  type AppliedStep,
  type MemberPlan,
} from './reconciler.js'
import { chooseRuntimeMode, type ModeOption } from './runtime-mode.js'
import { planStack } from './stack-plan.js'
import { listSavedUnits, renderAppUnits, saveUnitFiles } from './units.js'
import { installQuadletUnits } from './quadlet-mode.js'
import { checkLinger } from './linger.js'
import { recordFailure } from './crash-loop.js'
import { STACK_NAMES_ERROR } from './stack-names.js'
import {
  checkDependencies,
  checkStackIds,
  checkStateInMounts,
  checkStorage,
} from './install-checks.js'

export interface InstallResult {
  appId: string
  version: string
  registryUrl: string
  publisherDid: string
  /** Dependencies installed first because of --with-dependencies. */
  dependencies: string[]
  members: string[]
  steps: AppliedStep[]
  warnings: string[]
}

export interface InstallOptions {
  mode: ModeOption
  /** Install app dependencies that are missing, from the same registry's catalog, first. */
  withDependencies?: boolean
  /** Only this registry's catalog (a dependency comes from its dependent's registry). */
  fromRegistry?: string
  /** The dependents being installed, outermost first: a dependency cycle is refused. */
  dependents?: string[]
  /** Pin the installed version afterwards (`archy agent pin`). */
  pin?: boolean
  /** Let reconcile passes update the app to newer catalog releases by themselves. */
  autoUpdate?: boolean
}

/**
 * Installs (or reinstalls, reusing data and secrets) an app and its stack. `appAddress` is a bare
 * id, or `id@<publisher did>` for one publisher's app of that id (DESIGN.md §4, "Catalog").
 */
export async function installApp(
  agent: Agent,
  appAddress: string,
  options: InstallOptions,
): Promise<InstallResult> {
  const address = parseAppAddress(appAddress, 'APP')
  const appId = address.id
  const existing = agent.store.getInstall(appId)
  const owner = agent.store.findOwner(appId)
  if (owner !== undefined && owner !== appId) {
    throw new ArchyError(
      'installed-elsewhere',
      `${appId} is installed as part of the ${owner} stack`,
    )
  }
  const found = await findCatalogCandidates(agent.store, appId)
  const from = options.fromRegistry
  const chosen = chooseCandidate(
    address,
    found.filter((c) => from === undefined || c.registryUrl === from),
    existing,
  )
  const candidate = existing ? keepPinnedRelease(agent, existing, chosen) : chosen
  checkStackIds(agent, appId, candidate.verified.manifests)
  const dependencies = options.withDependencies
    ? await installMissingDependencies(
        agent,
        appId,
        candidate.verified.manifests,
        candidate.registryUrl,
        options,
      )
    : []
  const applied = await applyRelease(agent, appId, candidate, { mode: options.mode })
  if (options.pin) agent.store.setPolicy(appId, { pinnedVersion: applied.version })
  if (options.autoUpdate) agent.store.setPolicy(appId, { autoUpdate: true })
  return { ...applied, dependencies }
}

export interface ApplyOptions {
  mode: ModeOption
  /** Runs once everything is checked and fetched, just before the store and containers change. */
  beforeChange?: (members: MemberPlan[]) => Promise<void>
  /** Give each member only its manifest's health window (an update's gate). */
  healthWindow?: boolean
}

/**
 * Converges an app on one verified release: every check and every artifact first, then the
 * record, then the reconcile. An update and its rollback (update.ts) go through here too.
 */
export async function applyRelease(
  agent: Agent,
  appId: string,
  candidate: Pick<CatalogCandidate, 'registryUrl' | 'verified'>,
  options: ApplyOptions,
): Promise<Omit<InstallResult, 'dependencies'>> {
  const existing = agent.store.getInstall(appId)
  const { release, manifests } = candidate.verified
  checkStackIds(agent, appId, manifests)
  checkDependencies(agent, appId, manifests)
  await checkStorage(agent, manifests)

  // An install keeps its mode under auto: moving to Quadlet is asked for, and checked.
  const mode =
    options.mode === 'auto' && existing
      ? existing.mode
      : await chooseRuntimeMode(options.mode, agent.exec, await agent.podman.version())
  await agent.requireRootless()
  const members = planStack(manifests, agent.context, {
    limits: await agent.limitSupport(),
    agentId: agent.agentId,
    installed: loadOtherManifests(agent, appId),
  })

  // Every artifact verified on disk before anything is recorded or created.
  for (const artifact of release.artifacts) {
    await fetchArtifact(artifact, candidate.registryUrl, agent.paths.artifactsDir, agent.progress)
  }
  // Quadlet mode: the images too, so that the state check can read the VOLUMEs they declare.
  const quadlet = mode === 'quadlet'
  if (quadlet) {
    const shared = { podman: agent.podman, exec: agent.exec, origin: candidate.registryUrl }
    for (const { manifest, spec } of members) {
      const options = { ...shared, artifactsDir: agent.paths.artifactsDir, reload: true }
      await ensureImage(manifest, release, spec.image, options)
    }
    await checkStateInMounts(agent.podman, members, { moving: existing?.mode === 'podman' })
  }

  // A container that another agent state manages refuses the install before any unit is written
  // or anything recorded: this agent owns only the containers it labels (reconcile-decision.ts).
  let containers = await listContainersOnce(agent)
  const previous = agent.store.listMembers(appId)
  const plans = decideMembers(agent, members, previous, 'running', containers)
  if (options.beforeChange) {
    await options.beforeChange(plans)
    containers = await listContainersOnce(agent)
  }
  // Quadlet mode installs the units (staged, dry-run checked, moved into place); podman mode
  // keeps them in the state for inspection.
  const specs = members.map((member) => member.spec)
  const previousUnits = await listSavedUnits(agent, appId)
  const from = { release, origin: candidate.registryUrl }
  const units = await renderAppUnits(agent, specs, mode === 'quadlet' ? from : undefined)
  if (mode === 'quadlet') {
    await installQuadletUnits({ exec: agent.exec, paths: agent.paths }, units.files, previousUnits)
  }
  await saveUnitFiles(agent, appId, units.files)
  const unitWarnings = units.warnings
  // Quadlet mode depends on the user manager at boot: say so where linger is off.
  const linger = mode === 'quadlet' ? await checkLinger(agent.exec) : undefined
  const warnings = [
    ...members.flatMap((member) => member.warnings),
    ...(mode === 'quadlet' ? unitWarnings : []),
    ...(linger === undefined ? [] : [linger]),
  ]

  // A reinstall keeps the installed version until the new release runs (reconciler.ts).
  const now = new Date().toISOString()
  const install: InstallRecord = {
    appId,
    registryUrl: candidate.registryUrl,
    publisherDid: release.author.did,
    version: existing?.version ?? release.version,
    release,
    desired: 'running',
    mode,
    warnings,
    lastError: null,
    installedAt: existing?.installedAt ?? now,
    updatedAt: now,
  }
  const records: MemberRecord[] = members.map((member, position) => {
    const old = previous.find((record) => record.appId === member.manifest.id)
    return {
      appId: member.manifest.id,
      installId: appId,
      position,
      containerName: old?.containerName ?? member.spec.name,
      configHash: old?.configHash ?? null,
      adopted: old?.adopted ?? false,
      ...(old?.migration && { migration: old.migration }),
    }
  })
  agent.store.saveInstall(install, records)

  const app: InstalledApp = { install, release, members, records }
  let steps: AppliedStep[]
  // An explicit install retries a crash-looping app at once; its own failure counts again.
  agent.store.clearCrashLoop(appId)
  try {
    steps = await reconcileInstalledApp(agent, app, containers, {
      reloadImages: !quadlet,
      refreshData: true,
      healthWindow: options.healthWindow ?? false,
    })
  } catch (error) {
    agent.store.setOutcome(appId, { warnings, lastError: (error as Error).message })
    const code = (error as ArchyError).code
    if (code !== 'other-agent' && code !== STACK_NAMES_ERROR) {
      await recordFailure(agent, app, error as Error, containers)
    }
    throw error
  }
  return {
    appId,
    version: release.version,
    registryUrl: candidate.registryUrl,
    publisherDid: release.author.did,
    members: members.map((member) => member.manifest.id),
    steps,
    warnings,
  }
}

/**
 * A reinstall of a pinned app stays on the pinned release (a pin is never moved by anything but
 * `archy agent pin`/`unpin`): the stored release when it is the pinned one, else a refusal.
 */
function keepPinnedRelease(
  agent: Agent,
  existing: InstallRecord,
  chosen: CatalogCandidate & { verified: VerifiedRelease },
): Pick<CatalogCandidate, 'registryUrl' | 'verified'> {
  const pinned = agent.store.getPolicy(existing.appId).pinnedVersion
  if (pinned === null || chosen.verified.release.version === pinned) return chosen
  const stored = verifyRelease(existing.release, `${existing.appId}: stored release`)
  if (stored.release.version === pinned) {
    return { registryUrl: existing.registryUrl, verified: stored }
  }
  throw new ArchyError(
    'pinned',
    `${existing.appId} is pinned to ${pinned}: run archy agent update ${existing.appId} to ` +
      'move to it, or archy agent unpin it',
  )
}

/**
 * The catalog entry an address names. A bare id may name different publishers' apps on different
 * registries (or, in a catalog without `address` marks, on one): then the full addresses are
 * listed to choose from, unless one of them is the install already here.
 */
function chooseCandidate(
  address: AppAddress,
  candidates: CatalogCandidate[],
  existing: InstallRecord | undefined,
): CatalogCandidate & { verified: VerifiedRelease } {
  const appId = address.id
  const named = address.did === undefined ? appId : formatAppAddress(appId, address.did)
  let pool = candidates.filter((candidate) => matchesAddress(candidate, address))
  if (pool.length === 0) {
    throw new ArchyError('not-found', `${named} is in none of the followed registries' catalogs`)
  }
  if (existing) {
    pool = pool.filter(
      (c) =>
        c.registryUrl === existing.registryUrl &&
        c.verified.release.author.did === existing.publisherDid,
    )
    if (pool.length === 0) {
      throw new ArchyError(
        'installed-elsewhere',
        `${appId} is already installed from publisher ${existing.publisherDid} via ` +
          `${existing.registryUrl}; uninstall it before installing another publisher's app ` +
          'of that id',
      )
    }
  }
  const publishers = [...new Set(pool.map((c) => c.verified.release.author.did))]
  if (publishers.length > 1) {
    const choices = publishers.map((did) => formatAppAddress(appId, did))
    throw new ArchyError(
      'ambiguous',
      `${appId} names apps of several publishers in the followed catalogs; ` +
        `install one of: ${choices.join(', ')}`,
    )
  }
  return pool[0]!
}

/** Installs, from the dependent's registry, each app dependency outside the stack not yet here. */
async function installMissingDependencies(
  agent: Agent,
  appId: string,
  manifests: AppManifest[],
  registryUrl: string,
  options: InstallOptions,
): Promise<string[]> {
  const inStack = new Set(manifests.map((manifest) => manifest.id))
  const dependents = [...(options.dependents ?? []), appId]
  const installed: string[] = []
  for (const manifest of manifests) {
    for (const dependency of manifest.dependencies) {
      if (!isAppDependency(dependency) || inStack.has(dependency.app_id)) continue
      if (agent.store.findOwner(dependency.app_id) !== undefined) continue
      if (dependents.includes(dependency.app_id)) {
        throw new ArchyError(
          'dependency-cycle',
          `dependency cycle: ${[...dependents, dependency.app_id].join(' -> ')}`,
        )
      }
      const result = await installApp(agent, dependency.app_id, {
        ...options,
        fromRegistry: registryUrl,
        dependents,
      })
      installed.push(...result.dependencies, dependency.app_id)
    }
  }
  return installed
}
