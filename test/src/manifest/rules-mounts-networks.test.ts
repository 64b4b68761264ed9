// The mount option allowlists (bind and volume, tmpfs) and the Podman network modes refused as
// network names: one row each, good and bad input, with the exact path and message.
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

const VOLUME_RULE = 'bind and volume mounts take only ro, rw, nosuid, nodev, noexec'
const TMPFS_RULE = 'tmpfs mounts take only size=<n>[k|m|g], mode=<octal>, nosuid, nodev, noexec'
const MODES = 'none, host, bridge, private, slirp4netns, pasta, ns:..., container:...'

const bindOptions = (app: RawApp, options: string[]) => {
  const [bind] = app.volumes as Record<string, unknown>[]
  bind!.options = options
}
const volumeOptions = (app: RawApp, options: string[]) => {
  app.volumes = [
    ...(app.volumes as unknown[]),
    { type: 'volume', source: 'photo-cache', target: '/cache', options },
  ]
}
const tmpfsOptions = (app: RawApp, options: string[]) => {
  app.volumes = [...(app.volumes as unknown[]), { type: 'tmpfs', target: '/tmp', options }]
}

/** A row refusing one option that follows an allowed one (so the path ends in `[1]`). */
function refusedOption(kind: 'bind' | 'volume' | 'tmpfs', option: string, good: string[]): RuleRow {
  const set = { bind: bindOptions, volume: volumeOptions, tmpfs: tmpfsOptions }[kind]
  const first = kind === 'tmpfs' ? 'nosuid' : 'rw'
  return {
    rule: `${kind} option ${option} is refused`,
    good: (app) => set(app, good),
    bad: (app) => set(app, [first, option]),
    path: `app.volumes[${kind === 'bind' ? 0 : 1}].options[1]`,
    message: `mount option "${option}" is refused: ${kind === 'tmpfs' ? TMPFS_RULE : VOLUME_RULE}`,
  }
}

function refusedNetwork(name: string, good: string): RuleRow {
  return {
    rule: `network ${name} is refused`,
    good: (app) => (app.container.network = good),
    bad: (app) => (app.container.network = name),
    path: 'app.container.network',
    message:
      `network "${name}" is refused: it selects a Podman network mode, not a user network ` +
      `(reserved: ${MODES})`,
  }
}

function refusedPolicy(name: string, good: string): RuleRow {
  return {
    rule: `network_policy ${name} is refused`,
    good: (app) => (app.security = { network_policy: good }),
    bad: (app) => (app.security = { network_policy: name }),
    path: 'app.security.network_policy',
    message:
      `network policy "${name}" is refused: it selects a Podman network mode, ` +
      `not a user network (reserved: ${MODES})`,
  }
}

const SAFE = ['ro', 'nosuid', 'nodev', 'noexec']

const rows: RuleRow[] = [
  // Bind mounts: relabel, chown, propagation, and undoing the safe defaults
  ...['Z', 'z', 'U', 'suid', 'dev', 'exec'].map((option) => refusedOption('bind', option, SAFE)),
  ...['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate', 'unbindable'].map((option) =>
    refusedOption('bind', option, ['rw']),
  ),
  ...['bind', 'rbind', 'O', 'idmap', 'rw,dev', ''].map((option) =>
    refusedOption('bind', option, ['rw', 'nosuid']),
  ),
  // Named volumes
  ...['U', 'Z', 'copy', 'exec'].map((option) => refusedOption('volume', option, SAFE)),
  // tmpfs
  refusedOption('tmpfs', 'exec', ['size=64m', 'mode=1777', 'nosuid', 'nodev', 'noexec']),
  refusedOption('tmpfs', 'suid', ['size=1048576']),
  refusedOption('tmpfs', 'size=big', ['size=2g']),
  refusedOption('tmpfs', 'size=0', ['size=512k']),
  refusedOption('tmpfs', 'mode=4777', ['mode=0700']),
  refusedOption('tmpfs', 'mode=rwx', ['mode=755']),
  refusedOption('tmpfs', 'ro', []),
  refusedOption('tmpfs', 'U', []),
  refusedOption('tmpfs', 'tmpcopyup', []),
  // Podman network modes are not user networks
  refusedNetwork('none', 'photo-net'),
  refusedNetwork('bridge', 'bridge-net'),
  refusedNetwork('Bridge', 'my-bridge'),
  refusedNetwork('private', 'private-net'),
  refusedNetwork('slirp4netns', 'slirp'),
  refusedNetwork('slirp4netns:allow_host_loopback=true', 'slirp4netns-net'),
  refusedNetwork('pasta', 'pasta-net'),
  refusedNetwork('pasta:--map-gw', 'pasta.1'),
  refusedNetwork('ns:/proc/1/ns/net', 'ns'),
  refusedNetwork('container:photo-db', 'container'),
  refusedPolicy('none', 'isolated'),
  refusedPolicy('bridge', 'archy-net'),
  refusedPolicy('private', 'private-net'),
  refusedPolicy('pasta', 'pasta-net'),
  refusedPolicy('container:photo-db', 'photo-db-net'),
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
        bindOptions(app, ['rw', 'nosuid', 'nodev', 'noexec'])
        tmpfsOptions(app, ['size=64m', 'mode=1777'])
      }),
    )
    expect(check.manifest?.volumes.map((volume) => volume.options)).toEqual([
      ['rw', 'nosuid', 'nodev', 'noexec'],
      ['size=64m', 'mode=1777'],
    ])
  })
})
