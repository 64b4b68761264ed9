// One Umbrel app as Archipelago manifests: its services judged (an unsafe main service refuses
// the app, an unsafe side service is left out), converted, their mounts, secrets and
// dependencies decided together, and the result validated as the set a release would carry.
import { validateManifestSet } from '../../manifest/validate.js'
import { REQUIRED, convertUiPort, convertVersion, describeApp } from './app-meta.js'
import {
  chooseDataOwners,
  findAppDataOwner,
  readDeclaredDependencies,
  reaches,
  resolveMounts,
} from './app-mounts.js'
import type { MemberMounts } from './app-mounts.js'
import type { AppPlan } from './app-plan.js'
import { checkServiceShapes } from './compose-shapes.js'
import { convertService, readDependsOn } from './convert-service.js'
import type { ServiceBody } from './convert-service.js'
import { readMounts } from './mounts.js'
import type { MountIntent } from './mounts.js'
import { NoteSink } from './report.js'
import type { ImportedManifest } from './report.js'
import { findUnsafeKeys } from './unsafe-keys.js'
import { SECRET_VARIABLES, createResolver, listExportedOwners } from './umbrel-variables.js'
import type { StoreIndex } from './umbrel-variables.js'
import type { Resolver } from './variables.js'

export interface ConvertContext {
  index: StoreIndex
  idPrefix: string
  notes: NoteSink
}

interface Member {
  name: string
  id: string
  body: ServiceBody
  mounts: MemberMounts
  dependencies: string[]
}

/** The manifests of one app, or undefined when it is refused (the refusals are noted). */
export function convertApp(plan: AppPlan, context: ConvertContext): ImportedManifest[] | undefined {
  const { notes } = context
  const version = convertVersion(plan.app.meta, notes)
  const name = typeof plan.app.meta.name === 'string' ? plan.app.meta.name.trim() : ''
  if (name === '') notes.refuse('umbrel-app.yml', 'name', REQUIRED)
  // Without a main service there is no telling which services are side services.
  if (plan.problem) {
    notes.refuse(plan.problem.source, plan.problem.key, plan.problem.message)
    return undefined
  }
  const resolve = createResolver(plan, context.index)
  const ui = convertUiPort(plan, resolve, notes)

  // Judge every service first, so that the report lists every refusal at once.
  const kept = judgeServices(plan, resolve, context.index, notes)
  if (notes.refusals.length > 0 || version === undefined || ui === undefined) return undefined

  // Convert the kept services, then decide mounts and secrets across them.
  const keptNames = kept.map((entry) => entry.name)
  const bodies = kept.map(({ name: service, service: definition }) => {
    const body = convertService(definition, { service, plan, index: context.index, resolve, notes })
    body.dependsOn = body.dependsOn.filter((other) => {
      if (keptNames.includes(other)) return true
      notes.leaveOut(service, 'depends_on', `service ${other} is not part of the conversion`)
      return false
    })
    return body
  })
  const mounts = resolveMounts({
    plan,
    idPrefix: context.idPrefix,
    services: kept.map((entry, i) => ({ ...entry, dependsOn: bodies[i]!.dependsOn })),
    notes,
    findAppDataOwner: (umbrelId, relative) => {
      const appId = context.idPrefix + umbrelId
      const owners = context.index.dataOwners.get(umbrelId) ?? listExportedOwners(umbrelId, appId)
      return findAppDataOwner(owners, appId, relative)
    },
  })
  const members: Member[] = kept.map((entry, i) => {
    const body = bodies[i]!
    const memberMounts = mounts.get(entry.name)!
    const id = plan.memberIds.get(entry.name)!
    const dependencies = [...body.dependsOn.map((s) => plan.memberIds.get(s)!)]
    for (const dependency of memberMounts.dependencies) {
      if (!dependencies.includes(dependency)) dependencies.push(dependency)
    }
    return { name: entry.name, id, body, mounts: memberMounts, dependencies }
  })
  const secretOwners = assignSecrets(members, notes)
  const cycle = findCycle(members)
  if (cycle) {
    const message = `services ${cycle.join(' -> ')} would each start after the other`
    notes.refuse('docker-compose.yml', 'depends_on', message)
    return undefined
  }

  notes.convert(
    'docker-compose.yml',
    'services',
    "every service keeps Podman's rootless default capabilities (less cap_drop) and a " +
      'writable root file system, as it has under Compose',
  )
  const primary = members.find((member) => member.name === plan.main)!
  for (const dependency of readDeclaredDependencies(plan)) {
    const id = context.idPrefix + dependency
    if (!primary.dependencies.includes(id)) primary.dependencies.push(id)
  }
  primary.body.ports = primary.body.ports.filter((port) => {
    if (port.host !== ui.host || port.protocol !== ui.protocol) return true
    notes.leaveOut(primary.name, 'ports', `host port ${ui.host} is the UI port already`)
    return false
  })
  primary.body.ports.unshift(ui)

  const manifests = members.map((member) =>
    buildManifest(member, member === primary, plan, { name, version, secretOwners }),
  )
  for (const member of members) {
    const file = manifestFile(plan, member, primary)
    notes.convert(member.name, 'service', `app ${member.id} (${file})`)
  }
  return checkManifests(plan, members, primary, manifests, notes)
}

/**
 * Which member owns each path of the app's data its services mount (path -> app id), decided as
 * convertApp decides it, so that other apps mount that member's copy of the data.
 */
export function findDataOwners(plan: AppPlan, index: StoreIndex): Map<string, string> {
  if (plan.problem) return new Map()
  const kept = judgeServices(plan, createResolver(plan, index), index, new NoteSink())
  const names = kept.map((entry) => entry.name)
  const owners = chooseDataOwners(
    kept.map(({ name, service, mounts }) => ({
      name,
      mounts,
      dependsOn: readDependsOn(service.depends_on).filter((other) => names.includes(other)),
    })),
  )
  return new Map([...owners].map(([relative, service]) => [relative, plan.memberIds.get(service)!]))
}

interface KeptService {
  name: string
  service: Record<string, unknown>
  mounts: MountIntent[]
}

/** Unsafe keys and mounts: on the main service refusals, on a side service it is left out. */
function judgeServices(
  plan: AppPlan,
  resolve: Resolver,
  index: StoreIndex,
  notes: NoteSink,
): KeptService[] {
  const kept: KeptService[] = []
  for (const [service, definition] of plan.services) {
    // A key of the wrong shape is judged like an unsafe one: nothing of it is guessed.
    const shapes = checkServiceShapes(definition)
    const mounts =
      shapes.length > 0 ? [] : readMounts(definition, plan.umbrelId, resolve, index.dataDirs)
    const unsafe = shapes.length > 0 ? shapes : [...findUnsafeKeys(definition)]
    for (const { key, source } of mounts) {
      if (source.kind === 'unsafe') unsafe.push({ key, message: source.reason })
    }
    if (service === plan.main) {
      for (const { key, message } of unsafe) notes.refuse(service, key, message)
    } else if (unsafe.length > 0) {
      for (const { key, message } of unsafe) {
        notes.decide(service, key, `${message}; service ${service} is left out`)
      }
      continue
    }
    kept.push({ name: service, service: definition, mounts })
  }
  return kept
}

/** A chain of services that start after each other in a circle, by service name, if any. */
function findCycle(members: Member[]): string[] | undefined {
  const byId = new Map(members.map((member) => [member.id, member]))
  const visit = (member: Member, path: Member[]): string[] | undefined => {
    if (path.includes(member)) {
      return [...path.slice(path.indexOf(member)), member].map((m) => m.name)
    }
    for (const id of member.dependencies) {
      const next = byId.get(id)
      const cycle = next && visit(next, [...path, member])
      if (cycle) return cycle
    }
    return undefined
  }
  for (const member of members) {
    const cycle = visit(member, [])
    if (cycle) return cycle
  }
  return undefined
}

/**
 * Each generated secret is declared by one member: a user of it that starts after no other user;
 * the others depend on that member, which secret_env requires (DESIGN.md §4, Secrets).
 */
function assignSecrets(members: Member[], notes: NoteSink): Map<Member, string[]> {
  const declared = new Map<Member, string[]>()
  const graph = new Map(members.map((m) => [m.id, m.dependencies]))
  const names = new Set(members.flatMap((m) => m.body.secret_env.map((e) => e.secret_file)))
  for (const secret of names) {
    const users = members.filter((m) => m.body.secret_env.some((e) => e.secret_file === secret))
    const owner = chooseSecretOwner(users, graph)
    declared.set(owner, [...(declared.get(owner) ?? []), secret])
    for (const user of users) {
      if (user === owner || user.dependencies.includes(owner.id)) continue
      if (reaches(graph, owner.id, user.id)) {
        user.body.secret_env = user.body.secret_env.filter((e) => e.secret_file !== secret)
        const message = `secret ${secret} belongs to ${owner.id}, which starts after this service`
        notes.leaveOut(user.name, 'environment', message)
        continue
      }
      user.dependencies.push(owner.id)
    }
    const variable = Object.entries(SECRET_VARIABLES).find(([, s]) => s.name === secret)?.[0]
    notes.convert(
      owner.name,
      'environment',
      `$${variable} -> generated secret ${secret} of ${owner.id}`,
    )
  }
  return declared
}

/** Of the users that start after no other user, the one most others start after. */
function chooseSecretOwner(users: Member[], graph: Map<string, string[]>): Member {
  const independent = users.filter(
    (user) => !users.some((other) => other !== user && reaches(graph, user.id, other.id)),
  )
  const followers = (user: Member): number =>
    users.filter((other) => other !== user && reaches(graph, other.id, user.id)).length
  const candidates = independent.length > 0 ? independent : users
  return candidates.reduce((best, user) => (followers(user) > followers(best) ? user : best))
}

interface AppFields {
  name: string
  version: string
  secretOwners: Map<Member, string[]>
}

function buildManifest(
  member: Member,
  isPrimary: boolean,
  plan: AppPlan,
  fields: AppFields,
): { app: Record<string, unknown> } {
  const { body } = member
  const described = describeApp(plan.app.meta)
  const secrets = (fields.secretOwners.get(member) ?? []).map((name) => {
    const variable = Object.values(SECRET_VARIABLES).find((secret) => secret.name === name)!
    return { name, length: variable.length, charset: variable.charset }
  })
  const container: Record<string, unknown> = { image: body.image }
  if (body.entrypoint) container.entrypoint = body.entrypoint
  if (body.command) container.command = body.command
  if (body.data_uid !== undefined) container.data_uid = body.data_uid
  if (body.derived_env.length > 0) container.derived_env = body.derived_env
  if (body.secret_env.length > 0) container.secret_env = body.secret_env

  const app: Record<string, unknown> = {
    id: member.id,
    name: isPrimary ? fields.name : `${fields.name} (${member.name})`,
    version: fields.version,
    ...(isPrimary
      ? { description: described.description, category: described.category }
      : { description: `The ${member.name} service of ${fields.name}, imported from Umbrel.` }),
    upstream: { ...(described.upstream as object), service: member.name },
    container,
  }
  if (secrets.length > 0) app.generated_secrets = secrets
  if (member.dependencies.length > 0) {
    app.dependencies = member.dependencies.map((id) => ({ app_id: id }))
  }
  app.security = { capabilities: body.capabilities, readonly_root: body.readonly_root }
  if (body.ports.length > 0) app.ports = body.ports
  if (member.mounts.volumes.length > 0) app.volumes = member.mounts.volumes
  if (body.environment.length > 0) app.environment = body.environment
  if (body.health_check) app.health_check = body.health_check
  if (isPrimary) {
    const ui = body.ports[0]!
    const path =
      typeof plan.app.meta.path === 'string' && plan.app.meta.path ? plan.app.meta.path : '/'
    app.interfaces = {
      main: { name: fields.name, type: 'ui', port: ui.host, protocol: 'http', path },
    }
    app.metadata = described.metadata
  }
  return { app: dropUndefined(app) }
}

/** The converted set must pass the validator as a release would; a failure refuses the app. */
function checkManifests(
  plan: AppPlan,
  members: Member[],
  primary: Member,
  documents: { app: Record<string, unknown> }[],
  notes: NoteSink,
): ImportedManifest[] | undefined {
  const files = members.map((member) => manifestFile(plan, member, primary))
  const { checks } = validateManifestSet(documents, { strict: true })
  checks.forEach((check, i) => {
    for (const problem of check.problems) {
      if (problem.severity !== 'error') continue
      notes.refuse(files[i]!, problem.path || 'app', `the converted manifest ${problem.message}`)
    }
  })
  if (notes.refusals.length > 0) return undefined
  const manifests = members.map((_, i) => ({ file: files[i]!, document: documents[i]! }))
  // The primary manifest comes first, as in a release (DESIGN.md §4, Release document).
  const first = manifests.findIndex((_, i) => members[i] === primary)
  return [manifests[first]!, ...manifests.filter((_, i) => i !== first)]
}

function manifestFile(plan: AppPlan, member: Member, primary: Member): string {
  return member === primary
    ? `${plan.appId}/manifest.yml`
    : `${plan.appId}/${member.id}.manifest.yml`
}

function dropUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined))
}
