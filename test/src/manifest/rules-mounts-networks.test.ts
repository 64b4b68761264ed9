// The mount option allowlists (bind and volume, tmpfs) and the Podman network modes
// refused as network names: one row each, good and bad input, exact path and message.
import { describe, expect, it } from 'vitest'

import { validateManifest } from '../../../src/manifest/validate.js'
import { editDocument, errorsOf } from './fixtures.js'
import type { RawApp } from './fixtures.js'

interface RuleRow {
  rule: string
  good: (app: RawApp) => void
  bad: (app: RawApp) => void
  path: string
  message: string
}

type Kind = 'bind' | 'volume' | 'tmpfs'

const DATA = '/var/lib/archipelago/photo-vault/data'

const RULES: Record<Kind, string> = {
  bind: 'bind and volume mounts take only ro, rw, nosuid, nodev, noexec',
  volume: 'bind and volume mounts take only ro, rw, nosuid, nodev, noexec',
  tmpfs: 'tmpfs mounts take only size=<n>[k|m|g], mode=<octal>, nosuid, nodev, noexec',
}
const MODES = 'none, host, bridge, private, slirp4netns, pasta, ns:..., container:...'
const NOT_USER = 'it selects a Podman network mode, not a user network'

/** Sets the options of the base bind mount, or adds a named volume or a tmpfs with them. */
function setOptions(app: RawApp, kind: Kind, options: string[]): void {
  const volumes = app.volumes as Record<string, unknown>[]
  if (kind === 'bind') volumes[0]!.options = options
  if (kind === 'volume') volumes.push({ type: 'volume', source: 'cache', target: '/c', options })
  if (kind === 'tmpfs') volumes.push({ type: 'tmpfs', target: '/tmp', options })
}

/** A row refusing one option that follows an allowed one (the path ends in `[1]`). */
function refuse(kind: Kind, option: string, good: string[]): RuleRow {
  const first = kind === 'tmpfs' ? 'nosuid' : 'rw'
  return {
    rule: `${kind} option ${option} is refused`,
    good: (app) => setOptions(app, kind, good),
    bad: (app) => setOptions(app, kind, [first, option]),
    path: `app.volumes[${kind === 'bind' ? 0 : 1}].options[1]`,
    message: `mount option "${option}" is refused: ${RULES[kind]}`,
  }
}

function refuseNetwork(name: string, good: string): RuleRow {
  return {
    rule: `network ${name} is refused`,
    good: (app) => (app.container.network = good),
    bad: (app) => (app.container.network = name),
    path: 'app.container.network',
    message: `network "${name}" is refused: ${NOT_USER} (reserved: ${MODES})`,
  }
}

function refusePolicy(name: string, good: string): RuleRow {
  return {
    rule: `network_policy ${name} is refused`,
    good: (app) => (app.security = { network_policy: good }),
    bad: (app) => (app.security = { network_policy: name }),
    path: 'app.security.network_policy',
    message: `network policy "${name}" is refused: ${NOT_USER} (reserved: ${MODES})`,
  }
}

/** A row refusing a mount path with a separator Podman would read as the start of options. */
function refusePath(kind: Kind, field: 'source' | 'target', value: string, good: string): RuleRow {
  const set = (app: RawApp, path: string): void => {
    const volumes = app.volumes as Record<string, unknown>[]
    if (kind === 'bind' && field === 'target') volumes[0]!.target = path
    if (kind === 'bind' && field === 'source')
      volumes.push({ type: 'bind', source: path, target: '/x' })
    if (kind === 'volume') volumes.push({ type: 'volume', source: 'cache', target: path })
    if (kind === 'tmpfs') volumes.push({ type: 'tmpfs', target: path })
  }
  const separator = [':', ','].find((character) => value.includes(character))
  return {
    rule: `${kind} ${field} ${JSON.stringify(value)} is refused`,
    good: (app) => set(app, good),
    bad: (app) => set(app, value),
    path: `app.volumes[${kind === 'bind' && field === 'target' ? 0 : 1}].${field}`,
    message: /\n/.test(value)
      ? `${JSON.stringify(value)} contains a control character`
      : `"${value}" contains "${separator}", which Podman reads as a mount option separator`,
  }
}

const SAFE = ['ro', 'nosuid', 'nodev', 'noexec']
const PROPAGATION = ['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate', 'unbindable']

const rows: RuleRow[] = [
  // Bind mounts: relabel, chown, propagation, and undoing the safe defaults
  ...['Z', 'z', 'U', 'suid', 'dev', 'exec'].map((option) => refuse('bind', option, SAFE)),
  ...PROPAGATION.map((option) => refuse('bind', option, ['rw'])),
  ...['bind', 'rbind', 'O', 'idmap', 'rw,dev', ''].map((option) =>
    refuse('bind', option, ['rw', 'nosuid']),
  ),
  // Named volumes
  ...['U', 'Z', 'copy', 'exec'].map((option) => refuse('volume', option, SAFE)),
  // tmpfs
  refuse('tmpfs', 'exec', ['size=64m', 'mode=1777', 'nosuid', 'nodev', 'noexec']),
  refuse('tmpfs', 'suid', ['size=1048576']),
  refuse('tmpfs', 'size=big', ['size=2g']),
  refuse('tmpfs', 'size=0', ['size=512k']),
  refuse('tmpfs', 'mode=4777', ['mode=0700']),
  refuse('tmpfs', 'mode=rwx', ['mode=755']),
  refuse('tmpfs', 'ro', []),
  refuse('tmpfs', 'U', []),
  refuse('tmpfs', 'tmpcopyup', []),
  // Mount paths: ":" and "," would carry options past the allowlist, a newline a unit directive
  refusePath('bind', 'target', '/d:rshared,U', '/d'),
  refusePath('bind', 'target', '/d,U', '/d-u'),
  refusePath('bind', 'source', `${DATA}:/x`, `${DATA}/x`),
  refusePath('bind', 'target', '/d\nVolume=/etc:/etc', '/d'),
  refusePath('volume', 'target', '/cache:U', '/cache'),
  refusePath('tmpfs', 'target', '/t:exec', '/t'),
  refusePath('tmpfs', 'target', '/t,exec', '/t.exec'),
  // Podman network modes are not user networks
  refuseNetwork('none', 'photo-net'),
  refuseNetwork('bridge', 'bridge-net'),
  refuseNetwork('Bridge', 'my-bridge'),
  refuseNetwork('private', 'private-net'),
  refuseNetwork('slirp4netns', 'slirp'),
  refuseNetwork('slirp4netns:allow_host_loopback=true', 'slirp4netns-net'),
  refuseNetwork('pasta', 'pasta-net'),
  refuseNetwork('pasta:--map-gw', 'pasta.1'),
  refuseNetwork('ns:/proc/1/ns/net', 'ns'),
  refuseNetwork('container:photo-db', 'container'),
  refusePolicy('none', 'isolated'),
  refusePolicy('bridge', 'archy-net'),
  refusePolicy('private', 'private-net'),
  refusePolicy('pasta', 'pasta-net'),
  refusePolicy('container:photo-db', 'photo-db-net'),
]

describe('validateManifest rules: mount options and network modes', () => {
  it.each(rows)('keeps "$rule" for good input', ({ good }) => {
    const check = validateManifest(editDocument(good))
    expect(errorsOf(check.problems)).toEqual([])
    expect(check.manifest).toBeDefined()
  })

  it.each(rows)('reports "$rule" at $path', ({ bad, path, message }) => {
    const check = validateManifest(editDocument(bad))
    expect(errorsOf(check.problems)).toEqual([{ severity: 'error', path, message }])
    expect(check.manifest).toBeUndefined()
  })

  it('keeps the allowed options as written in the normalized manifest', () => {
    const check = validateManifest(
      editDocument((app) => {
        setOptions(app, 'bind', ['rw', 'nosuid', 'nodev', 'noexec'])
        setOptions(app, 'tmpfs', ['size=64m', 'mode=1777'])
      }),
    )
    expect(check.manifest?.volumes.map((volume) => volume.options)).toEqual([
      ['rw', 'nosuid', 'nodev', 'noexec'],
      ['size=64m', 'mode=1777'],
    ])
  })
})
