// The mounts of an app's kept services, decided together: Umbrel gives all services one data
// directory, Archipelago one per app id. A path several services mount belongs to one of them
// (chooseDataOwners); the others mount it read-only, as a dependency's data (DESIGN.md §4, Host
// paths), and a compose read-write mount so changed is listed for a decision, as are host paths
// outside the app's data. Another app's data is mounted from the member of it that owns it.
import { checkVolumeName } from '../../manifest/formats.js'
import { ARCHIPELAGO_DATA_PREFIX } from '../../manifest/types.js'
import { toLabel } from './app-plan.js'
import type { AppPlan } from './app-plan.js'
import type { MountIntent } from './mounts.js'
import type { NoteSink } from './report.js'

export type ManifestVolume =
  | { type: 'bind' | 'volume'; source: string; target: string; options?: string[] }
  | { type: 'tmpfs'; target: string }

export interface MemberMounts {
  volumes: ManifestVolume[]
  /** App ids this member must depend on to mount their data. */
  dependencies: string[]
}

export interface MountsInput {
  plan: AppPlan
  idPrefix: string
  /** Kept services in compose order, with their mounts and `depends_on`. */
  services: OwnerCandidate[]
  notes: NoteSink
  /** The app id of the member of another Umbrel app that owns a path of its data. */
  findAppDataOwner: (umbrelId: string, relative: string) => string
}

export interface OwnerCandidate {
  name: string
  mounts: MountIntent[]
  dependsOn: string[]
}

export function resolveMounts(input: MountsInput): Map<string, MemberMounts> {
  const { plan, notes } = input
  const result = new Map<string, MemberMounts>()
  const owners = chooseDataOwners(input.services)
  const declared = readDeclaredDependencies(plan)

  for (const { name, mounts } of input.services) {
    const member: MemberMounts = { volumes: [], dependencies: [] }
    result.set(name, member)
    for (const mount of mounts) {
      const { source, key } = mount
      const target = mount.target ?? ''
      if (mount.targetProblem) {
        notes.leaveOut(name, key, mount.targetProblem)
        continue
      }
      if (mount.droppedOptions.length > 0) {
        const dropped = mount.droppedOptions.join(', ')
        const message = `options ${dropped} dropped (a manifest mount takes only ro)`
        notes.leaveOut(name, key, message)
      }
      const options = mount.readOnly ? { options: ['ro'] } : {}

      if (source.kind === 'tmpfs') member.volumes.push({ type: 'tmpfs', target })
      else if (source.kind === 'volume') {
        const problem = checkVolumeName(source.name)
        if (problem) notes.leaveOut(name, key, problem)
        else member.volumes.push({ type: 'volume', source: source.name, target, ...options })
      } else if (source.kind === 'host' || source.kind === 'unsafe') {
        notes.decide(name, key, `${source.reason}; the mount is left out`)
      } else if (source.kind === 'app') {
        if (!declared.includes(source.umbrelId)) {
          const message =
            `"${mount.raw}" reads the data of app ${source.umbrelId}, which umbrel-app.yml ` +
            'does not declare as a dependency; the mount is left out'
          notes.decide(name, key, message)
          continue
        }
        const owner = input.findAppDataOwner(source.umbrelId, source.relative)
        addDependency(member, owner)
        member.volumes.push({ type: 'bind', source: dataPath(owner, source.relative), target,
          options: ['ro'] }) // prettier-ignore
        if (!mount.readOnly) noteReadOnly(notes, name, key, `dependency ${owner}`)
        else notes.convert(name, key, `read-only mount of dependency ${owner}'s data`)
      } else {
        const ownerService = owners.get(source.relative) ?? name
        const owner = plan.memberIds.get(ownerService) ?? plan.appId
        const source_ = dataPath(owner, source.relative)
        if (ownerService === name) {
          member.volumes.push({ type: 'bind', source: source_, target, ...options })
          continue
        }
        addDependency(member, owner)
        member.volumes.push({ type: 'bind', source: source_, target, options: ['ro'] })
        if (!mount.readOnly)
          noteReadOnly(notes, name, key, `member ${owner} (service ${ownerService})`)
      }
    }
  }
  return result
}

/**
 * The service that owns each path of the app's data directory its services mount. Of several, in
 * this order: one that starts after none of the others; one that mounts it read-write; one most
 * of the others start after; one named as the path's last segment (LND's `lnd` owns `data/lnd`
 * beside the UI service `app`, which only reads its credentials); else the first in the file.
 */
export function chooseDataOwners(services: OwnerCandidate[]): Map<string, string> {
  const sharers = new Map<string, OwnerCandidate[]>()
  for (const service of services) {
    for (const { source } of service.mounts) {
      if (source.kind !== 'own') continue
      const list = sharers.get(source.relative) ?? []
      if (!list.includes(service)) list.push(service)
      sharers.set(source.relative, list)
    }
  }
  const graph = new Map(services.map((s) => [s.name, s.dependsOn]))
  const owners = new Map<string, string>()
  for (const [relative, users] of sharers) {
    const segment = toLabel(relative.split('/').pop() ?? '')
    const tests: ((user: OwnerCandidate) => boolean)[] = [
      (user) => !users.some((other) => other !== user && reaches(graph, user.name, other.name)),
      (user) => user.mounts.some((m) => m.source.kind === 'own' && m.source.relative === relative
        && !m.readOnly), // prettier-ignore
    ]
    let candidates = users
    for (const test of tests) candidates = narrow(candidates, test)
    const followers = (user: OwnerCandidate): number =>
      users.filter((other) => other !== user && reaches(graph, other.name, user.name)).length
    const most = Math.max(...candidates.map(followers))
    candidates = narrow(candidates, (user) => followers(user) === most)
    candidates = narrow(candidates, (user) => segment !== '' && toLabel(user.name) === segment)
    owners.set(relative, candidates[0]!.name)
  }
  return owners
}

/** The candidates that pass `test`, or all of them when none does. */
function narrow<T>(candidates: T[], test: (candidate: T) => boolean): T[] {
  const passed = candidates.filter(test)
  return passed.length > 0 ? passed : candidates
}

/**
 * The member of another app that owns `relative` of its data: the owner of that path, or of the
 * nearest directory above it, that its services mount; else the app's primary manifest.
 */
export function findAppDataOwner(
  owners: ReadonlyMap<string, string> | undefined,
  appId: string,
  relative: string,
): string {
  let best: { path: string; owner: string } | undefined
  for (const [path, owner] of owners ?? []) {
    const contains = path === '' || relative === path || relative.startsWith(`${path}/`)
    if (contains && (best === undefined || path.length > best.path.length)) best = { path, owner }
  }
  return best?.owner ?? appId
}

/** Whether `from` starts after `to`, directly or through other services. */
export function reaches(graph: Map<string, string[]>, from: string, to: string): boolean {
  const seen = new Set<string>()
  const stack = [...(graph.get(from) ?? [])]
  while (stack.length > 0) {
    const next = stack.pop()!
    if (next === to) return true
    if (seen.has(next)) continue
    seen.add(next)
    stack.push(...(graph.get(next) ?? []))
  }
  return false
}

function noteReadOnly(notes: NoteSink, service: string, key: string, owner: string): void {
  const message =
    `mounted read-only: the data belongs to ${owner}, and an app mounts another's data ` +
    'read-only only; the compose file mounts it read-write'
  notes.decide(service, key, message)
}

function addDependency(member: MemberMounts, appId: string): void {
  if (!member.dependencies.includes(appId)) member.dependencies.push(appId)
}

export function dataPath(appId: string, relative: string): string {
  return relative === ''
    ? `${ARCHIPELAGO_DATA_PREFIX}/${appId}`
    : `${ARCHIPELAGO_DATA_PREFIX}/${appId}/${relative}`
}

export function readDeclaredDependencies(plan: AppPlan): string[] {
  const list = plan.app.meta.dependencies
  return Array.isArray(list) ? list.map(String) : []
}
