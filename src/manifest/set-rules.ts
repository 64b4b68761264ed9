// Rules across the manifests validated together (a stack, or `archy app validate` of several
// files): dependencies, secrets of dependencies, aliases and host ports. A reference to an app
// outside the set is a warning: it may come from the catalog.
import semver from 'semver'

import { error, warning } from './problems.js'
import type { ManifestProblem } from './problems.js'
import { readDependencyIds, readEntries, readString } from './raw-fields.js'

interface Member {
  app: Record<string, unknown>
  id?: string
  version?: string
}

/** The problems of each manifest of the set, by index (one list per document). */
export function checkSetRules(apps: (Record<string, unknown> | undefined)[]): ManifestProblem[][] {
  const members = apps.map((app): Member | undefined => {
    if (!app) return undefined
    return { app, id: readString(app, 'id'), version: readString(app, 'version') }
  })
  // The first manifest with an id owns it; a later one with the same id is an error.
  const byId = new Map<string, Member>()
  const repeated = new Set<Member>()
  for (const member of members) {
    if (!member?.id) continue
    if (byId.has(member.id)) repeated.add(member)
    else byId.set(member.id, member)
  }

  return members.map((member) => {
    if (!member) return []
    const problems: ManifestProblem[] = []
    if (repeated.has(member))
      problems.push(error(['app', 'id'], `app "${member.id}" is given twice`))
    problems.push(...checkDependencies(member, byId))
    problems.push(...checkSecretReferences(member, byId))
    problems.push(...checkSharedNames(member, members))
    return problems
  })
}

function checkDependencies(member: Member, byId: Map<string, Member>): ManifestProblem[] {
  const problems: ManifestProblem[] = []
  for (const [index, dep] of readEntries(member.app, 'dependencies')) {
    const appId = readString(dep, 'app_id')
    if (appId === undefined || appId === member.id) continue
    const target = byId.get(appId)
    if (!target) {
      const message = `depends on app "${appId}", which is not among the manifests given`
      problems.push(warning(['app', 'dependencies', index, 'app_id'], message))
      continue
    }
    const range = readString(dep, 'version')
    const version = target.version
    if (range === undefined || version === undefined || semver.validRange(range) === null) continue
    if (semver.valid(version) === null || semver.satisfies(version, range)) continue
    const message = `${appId} ${version} (given) does not satisfy "${range}"`
    problems.push(error(['app', 'dependencies', index, 'version'], message))
  }
  return problems
}

function listSecretNames(app: Record<string, unknown>): string[] {
  return readEntries(app, 'generated_secrets').flatMap(
    ([, secret]) => readString(secret, 'name') ?? [],
  )
}

function checkSecretReferences(member: Member, byId: Map<string, Member>): ManifestProblem[] {
  const dependencies = readDependencyIds(member.app)
  const missing = dependencies.filter((id) => !byId.has(id))
  const available = new Set([
    ...listSecretNames(member.app),
    ...dependencies.flatMap((id) => {
      const dependency = byId.get(id)
      return dependency ? listSecretNames(dependency.app) : []
    }),
  ])
  const problems: ManifestProblem[] = []
  for (const [index, entry] of readEntries(member.app.container, 'secret_env')) {
    const name = readString(entry, 'secret_file')
    if (name === undefined || available.has(name)) continue
    const path = ['app', 'container', 'secret_env', index, 'secret_file']
    if (missing.length > 0) {
      const message =
        `no generated secret "${name}" in this app or the dependencies given (not ` +
        `given: ${missing.join(', ')})`
      problems.push(warning(path, message))
    } else {
      const message = `no generated secret "${name}" in this app or its dependencies`
      problems.push(error(path, message))
    }
  }
  return problems
}

/** Aliases and host ports are shared on a node: no two apps of the set may claim the same. */
function checkSharedNames(member: Member, members: (Member | undefined)[]): ManifestProblem[] {
  const others = members.filter((other): other is Member => !!other && other !== member)
  const problems: ManifestProblem[] = []
  const aliases = Array.isArray(member.app.network_aliases) ? member.app.network_aliases : []
  aliases.forEach((alias: unknown, index) => {
    if (typeof alias !== 'string') return
    const path = ['app', 'network_aliases', index]
    for (const other of others) {
      const label = other.id ?? 'another app'
      if (other.id === alias)
        problems.push(error(path, `alias "${alias}" is the id of app ${label}`))
      const theirs = other.app.network_aliases
      if (Array.isArray(theirs) && theirs.includes(alias)) {
        problems.push(error(path, `alias "${alias}" is also claimed by ${label}`))
      }
    }
  })
  for (const [index, port] of readEntries(member.app, 'ports')) {
    if (typeof port.host !== 'number') continue
    const binding = `${port.host}/${readString(port, 'protocol') ?? 'tcp'}`
    for (const other of others) {
      const clash = readEntries(other.app, 'ports').some(
        ([, theirs]) => `${theirs.host}/${readString(theirs, 'protocol') ?? 'tcp'}` === binding,
      )
      if (!clash) continue
      const message = `host port ${binding} is also published by ${other.id ?? 'another app'}`
      problems.push(error(['app', 'ports', index, 'host'], message))
    }
  }
  return problems
}
