// A release's manifests as the containers this node runs: dependencies before dependents, each
// with its spec, secret owners, config hash and the warnings the install will show.
import { ValidationError } from '../src/errors.js'
import { isAppDependency } from '../src/manifest/types.js'
import type { AppManifest, GeneratedSecret } from '../src/manifest/types.js'
import { buildContainerSpec } from './container-spec.js'
import type { ContainerSpec, NodeContext } from './container-spec.js'
import { labelContainerSpec, hashContainerSpec } from './config-hash.js'
import { checkPlaceholders, namespaceVolumes } from './plan-rules.js'
import { applyLimitSupport, type LimitSupport } from './resource-limits.js'

export interface PlannedMember {
  manifest: AppManifest
  spec: ContainerSpec
  configHash: string
  warnings: string[]
  /** Every secret the container uses or owns, with the app that owns it. */
  secrets: { ownerAppId: string; secret: GeneratedSecret }[]
}

export interface PlanOptions {
  /** Which resource limits this host can enforce; a limit it cannot is dropped with a warning. */
  limits: LimitSupport
  /** Manifests of apps already installed on this node, for dependencies outside the stack. */
  installed: AppManifest[]
  /** This agent state's id, labelled on every container it makes (config-hash.ts). */
  agentId: string
}

/**
 * Plans a stack; throws naming the field when something cannot be honoured. Unlike `archy app
 * render`, a placeholder without a value fails here: resource limits are the one warning (§5).
 */
export function planStack(
  manifests: AppManifest[],
  context: NodeContext,
  options: PlanOptions,
): PlannedMember[] {
  return orderByDependencies(manifests).map((manifest) => {
    const known = [...manifests, ...options.installed]
    const secretOwners = findSecretOwners(manifest, known)
    checkPlaceholders(manifest, context)
    const built = buildContainerSpec(manifest, context, { secretOwners })
    const limited = applyLimitSupport(namespaceVolumes(manifest, built.spec), options.limits)
    const warnings = [...built.warnings.map((w) => `${manifest.id}: ${w}`), ...limited.warnings]

    const spec = labelContainerSpec(limited.spec, options.agentId)
    const secrets = listSecrets(manifest, secretOwners, known)
    return { manifest, spec, configHash: hashContainerSpec(spec), warnings, secrets }
  })
}

/** Topological order within the stack (dependencies first), stable otherwise. */
export function orderByDependencies(manifests: AppManifest[]): AppManifest[] {
  const byId = new Map(manifests.map((manifest) => [manifest.id, manifest]))
  const ordered: AppManifest[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (manifest: AppManifest, chain: string[]): void => {
    const seen = state.get(manifest.id)
    if (seen === 'done') return
    if (seen === 'visiting') {
      throw new ValidationError(
        'manifests',
        `dependency cycle: ${[...chain, manifest.id].join(' -> ')}`,
      )
    }
    state.set(manifest.id, 'visiting')
    for (const dependency of manifest.dependencies.filter(isAppDependency)) {
      const inStack = byId.get(dependency.app_id)
      if (inStack) visit(inStack, [...chain, manifest.id])
    }
    state.set(manifest.id, 'done')
    ordered.push(manifest)
  }
  for (const manifest of manifests) visit(manifest, [])
  return ordered
}

/** Secret name -> owning app: this app's own, else one of its dependencies'. */
function findSecretOwners(manifest: AppManifest, known: AppManifest[]): Record<string, string> {
  const owners: Record<string, string> = {}
  const dependencies = manifest.dependencies.filter(isAppDependency).map((d) => d.app_id)
  manifest.container.secret_env.forEach((entry, index) => {
    const declares = (candidate: AppManifest): boolean =>
      candidate.generated_secrets.some((secret) => secret.name === entry.secret_file)
    const owner = declares(manifest)
      ? manifest
      : known.find((candidate) => dependencies.includes(candidate.id) && declares(candidate))
    if (!owner) {
      throw new ValidationError(
        `${manifest.id}: app.container.secret_env[${index}].secret_file`,
        `"${entry.secret_file}" is not a generated secret ` +
          'of this app or of an installed dependency',
      )
    }
    owners[entry.secret_file] = owner.id
  })
  return owners
}

function listSecrets(
  manifest: AppManifest,
  owners: Record<string, string>,
  known: AppManifest[],
): { ownerAppId: string; secret: GeneratedSecret }[] {
  const own = manifest.generated_secrets.map((secret) => ({ ownerAppId: manifest.id, secret }))
  const used = Object.entries(owners)
    .filter(([, owner]) => owner !== manifest.id)
    .map(([name, owner]) => {
      const declared = known.find((candidate) => candidate.id === owner)!.generated_secrets
      return { ownerAppId: owner, secret: declared.find((secret) => secret.name === name)! }
    })
  return [...own, ...used]
}
