// Every rule of DESIGN.md §4, one row each: an input that keeps the rule (no error) and
// one that breaks it, with the exact path and message the validator must report.
import { describe, expect, it } from 'vitest'

import { validateManifest } from '../../../src/manifest/validate.js'
import { editDocument, errorsOf, makeDocument } from './fixtures.js'
import type { RawApp } from './fixtures.js'

interface RuleRow {
  rule: string
  good: (app: RawApp) => void
  bad: (app: RawApp) => void
  path: string
  message: string
}

const HEX = 'b'.repeat(64)
const DATA = '/var/lib/archipelago'
const CAPS =
  'CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, NET_BIND_SERVICE, SETFCAP, SETGID, ' +
  'SETPCAP, SETUID, SYS_CHROOT'

const volume = (app: RawApp, index = 0) => (app.volumes as Record<string, unknown>[])[index]!
const bind = (source: string, options?: string[]) => ({
  type: 'bind',
  source,
  target: '/x',
  options,
})

/** Replaces the volumes and drops the files that lived under the old bind mount. */
function setVolumes(app: RawApp, volumes: unknown[]): void {
  app.volumes = volumes
  app.files = []
}

/** Changes the id and drops the host paths that were under the old id. */
function setId(app: RawApp, id: unknown): void {
  app.id = id
  app.volumes = []
  app.files = []
}

const rows: RuleRow[] = [
  // Required keys and identity
  {
    rule: 'id is required',
    good: () => {},
    bad: (app) => setId(app, undefined),
    path: 'app.id',
    message: 'required key is missing',
  },
  {
    rule: 'id is a lowercase kebab-case DNS label',
    good: (app) => setId(app, 'a'.repeat(63)),
    bad: (app) => setId(app, 'Photo_Vault'),
    path: 'app.id',
    message:
      '"Photo_Vault" is not a lowercase kebab-case DNS label (a-z, 0-9 and single ' +
      'hyphens, 1-63 characters)',
  },
  {
    rule: 'id has at most 63 characters',
    good: (app) => setId(app, 'x-1'),
    bad: (app) => setId(app, 'a'.repeat(64)),
    path: 'app.id',
    message:
      `"${'a'.repeat(64)}" is not a lowercase kebab-case DNS label (a-z, 0-9 and ` +
      `single hyphens, 1-63 characters)`,
  },
  {
    rule: 'name is required and not empty',
    good: (app) => (app.name = 'X'),
    bad: (app) => (app.name = ''),
    path: 'app.name',
    message: 'must not be empty',
  },
  {
    rule: 'version is SemVer 2.0.0',
    good: (app) => (app.version = '2.0.0-rc.1+build.5'),
    bad: (app) => (app.version = 'v1.4'),
    path: 'app.version',
    message: '"v1.4" is not a SemVer 2.0.0 version (e.g. 1.4.2)',
  },
  {
    rule: 'version has no leading v',
    good: (app) => (app.version = '0.0.1'),
    bad: (app) => (app.version = 'v1.4.2'),
    path: 'app.version',
    message: '"v1.4.2" is not a SemVer 2.0.0 version (e.g. 1.4.2)',
  },
  {
    rule: 'container.image is required',
    good: () => {},
    bad: (app) => delete app.container.image,
    path: 'app.container.image',
    message: 'required key is missing',
  },
  {
    rule: 'a value has the right type',
    good: (app) => (app.container.command = ['serve', '--port', '8080']),
    bad: (app) => (app.container.command = 'serve --port 8080'),
    path: 'app.container.command',
    message: 'expected a list, got a string',
  },
  {
    rule: 'a version YAML read as a number says to quote it',
    good: (app) => (app.version = '1.0.0'),
    bad: (app) => (app.version = 1.0),
    path: 'app.version',
    message: 'expected a string, got a number (quote it in YAML to keep it text)',
  },
  // Images
  {
    rule: 'image is never latest',
    good: (app) => (app.container.image = 'example/app:latest@sha256:' + HEX),
    bad: (app) => (app.container.image = 'example/app:latest'),
    path: 'app.container.image',
    message:
      '"example/app:latest" is not pinned: "latest" is refused, use a version tag ' +
      'or an @sha256 digest',
  },
  {
    rule: 'image has a tag or digest',
    good: (app) => (app.container.image = 'localhost:5000/example/app:1.0'),
    bad: (app) => (app.container.image = 'localhost:5000/example/app'),
    path: 'app.container.image',
    message: '"localhost:5000/example/app" has no tag: pin a version tag or an @sha256 digest',
  },
  {
    rule: 'image digest is sha256 with 64 hex',
    good: (app) => (app.container.image = 'example/app@sha256:' + HEX),
    bad: (app) => (app.container.image = 'example/app@sha256:abc'),
    path: 'app.container.image',
    message:
      '"example/app@sha256:abc" has a bad digest: use @sha256: followed by 64 ' +
      'lowercase hex characters',
  },
  {
    rule: 'image blake3 reference has 64 hex',
    good: (app) => (app.container.image = 'blake3:' + HEX),
    bad: (app) => (app.container.image = 'blake3:' + HEX.toUpperCase()),
    path: 'app.container.image',
    message:
      `"blake3:${HEX.toUpperCase()}" must be blake3: ` + 'followed by 64 lowercase hex characters',
  },
  {
    rule: 'image file reference is relative',
    good: (app) => (app.container.image = 'file:images/app.tar'),
    bad: (app) => (app.container.image = 'file:/tmp/app.tar'),
    path: 'app.container.image',
    message: '"file:/tmp/app.tar" must be a path relative to the manifest',
  },
  {
    rule: 'image file reference stays inside the release',
    good: (app) => (app.container.image = 'file:image.tar'),
    bad: (app) => (app.container.image = 'file:../image.tar'),
    path: 'app.container.image',
    message: '"file:../image.tar" must not contain ".." segments',
  },
  {
    rule: 'image is a reference',
    good: (app) => (app.container.image = 'docker.io/library/busybox:1.36'),
    bad: (app) => (app.container.image = 'Example/App:1.0'),
    path: 'app.container.image',
    message: '"Example/App:1.0" is not an image reference',
  },
  {
    rule: 'pull_policy is an enum',
    good: (app) => (app.container.pull_policy = 'never'),
    bad: (app) => (app.container.pull_policy = 'sometimes'),
    path: 'app.container.pull_policy',
    message: '"sometimes" is not one of: if-not-present, always, never',
  },
  // Refused outright
  {
    rule: 'privileged is refused',
    good: () => {},
    bad: (app) => (app.container.privileged = true),
    path: 'app.container.privileged',
    message: 'privileged containers are refused: rootless Podman only',
  },
  {
    rule: 'devices are refused when not empty',
    good: (app) => (app.container.devices = []),
    bad: (app) => (app.container.devices = ['/dev/fuse']),
    path: 'app.container.devices',
    message: 'host devices are refused',
  },
  {
    rule: 'pid is refused',
    good: () => {},
    bad: (app) => (app.pid = 'host'),
    path: 'app.pid',
    message: 'sharing a PID namespace is refused',
  },
  {
    rule: 'ipc is refused',
    good: () => {},
    bad: (app) => (app.container.ipc = 'host'),
    path: 'app.container.ipc',
    message: 'sharing an IPC namespace is refused',
  },
  {
    rule: 'cap_add is refused',
    good: () => {},
    bad: (app) => (app.security = { cap_add: ['NET_ADMIN'] }),
    path: 'app.security.cap_add',
    message: 'cap_add is refused: list capabilities under security.capabilities',
  },
  {
    rule: 'security_opt is refused',
    good: () => {},
    bad: (app) => (app.container.security_opt = ['seccomp=unconfined']),
    path: 'app.container.security_opt',
    message: 'security_opt is refused: the agent sets security options',
  },
  {
    rule: 'userns is refused',
    good: () => {},
    bad: (app) => (app.container.userns = 'host'),
    path: 'app.container.userns',
    message: 'userns is refused: the agent sets the user namespace',
  },
  {
    rule: 'volumes_from is refused',
    good: () => {},
    bad: (app) => (app.volumes_from = ['other']),
    path: 'app.volumes_from',
    message: 'volumes_from is refused: an app mounts only its own data',
  },
  {
    rule: 'network host is refused',
    good: (app) => (app.container.network = 'photo-net'),
    bad: (app) => (app.container.network = 'host'),
    path: 'app.container.network',
    message: 'network "host" is refused: apps never share the host network',
  },
  {
    rule: 'network_policy host is refused',
    good: (app) => (app.security = { network_policy: 'archy-net' }),
    bad: (app) => (app.security = { network_policy: 'host' }),
    path: 'app.security.network_policy',
    message: 'network policy "host" is refused: apps never share the host network',
  },
  {
    rule: 'capabilities stay in the rootless default set',
    good: (app) => (app.security = { capabilities: ['CHOWN', 'cap_setuid', 'SYS_CHROOT'] }),
    bad: (app) => (app.security = { capabilities: ['CHOWN', 'SYS_ADMIN'] }),
    path: 'app.security.capabilities[1]',
    message: `capability SYS_ADMIN is outside the rootless default set (${CAPS})`,
  },
  // Host paths
  {
    rule: 'bind source is under the app data directory',
    good: (app) => setVolumes(app, [bind(`${DATA}/photo-vault`)]),
    bad: (app) => setVolumes(app, [bind('/etc')]),
    path: 'app.volumes[0].source',
    message:
      `host path "/etc" is refused: a bind source must be under ${DATA}/photo-vault ` +
      `(or, read-only, under the directory of a declared dependency)`,
  },
  {
    rule: 'bind source of another app is refused',
    good: (app) => setVolumes(app, [bind(`${DATA}/photo-vault/a/b`)]),
    bad: (app) => setVolumes(app, [bind(`${DATA}/photo-vaultx/data`)]),
    path: 'app.volumes[0].source',
    message:
      `host path "${DATA}/photo-vaultx/data" is refused: a bind source must be ` +
      `under ${DATA}/photo-vault (or, read-only, under the directory of a declared ` +
      `dependency)`,
  },
  {
    rule: "a dependency's directory is mounted read-only",
    good: (app) => {
      app.dependencies = [{ app_id: 'photo-db' }]
      app.volumes = [bind(`${DATA}/photo-vault/data`), bind(`${DATA}/photo-db/creds`, ['ro'])]
    },
    bad: (app) => {
      app.dependencies = [{ app_id: 'photo-db' }]
      app.volumes = [bind(`${DATA}/photo-vault/data`), bind(`${DATA}/photo-db/creds`)]
    },
    path: 'app.volumes[1].options',
    message:
      `host path "${DATA}/photo-db/creds" belongs to dependency photo-db and must ` +
      `be mounted read-only (options must include "ro")`,
  },
  {
    rule: 'bind source has no .. segments',
    good: (app) => (volume(app).source = `${DATA}/photo-vault/./data`),
    bad: (app) => setVolumes(app, [bind(`${DATA}/photo-vault/../../../etc`)]),
    path: 'app.volumes[0].source',
    message: `"${DATA}/photo-vault/../../../etc" must not contain ".." segments`,
  },
  {
    rule: 'sockets are refused',
    good: (app) => setVolumes(app, [bind(`${DATA}/photo-vault/sockets`)]),
    bad: (app) => setVolumes(app, [bind('/run/user/1000/podman/podman.sock')]),
    path: 'app.volumes[0].source',
    message:
      'socket "/run/user/1000/podman/podman.sock" is refused: apps never get the ' +
      "container engine's or any host socket",
  },
  {
    rule: 'ro and rw do not mix',
    good: (app) => (volume(app).options = ['ro', 'nodev']),
    bad: (app) => (volume(app).options = ['ro', 'rw']),
    path: 'app.volumes[0].options',
    message: 'options cannot hold both "ro" and "rw"',
  },
  {
    rule: 'a volume target is absolute',
    good: (app) =>
      setVolumes(app, [...(app.volumes as unknown[]), { type: 'tmpfs', target: '/tmp' }]),
    bad: (app) => (volume(app).target = 'data'),
    path: 'app.volumes[0].target',
    message: '"data" must be an absolute path',
  },
  {
    rule: 'a volume type is bind, volume or tmpfs',
    good: (app) => setVolumes(app, [{ type: 'volume', source: 'photo-cache', target: '/cache' }]),
    bad: (app) => setVolumes(app, [{ type: 'nfs', target: '/cache' }]),
    path: 'app.volumes[0].type',
    message: '"nfs" is not one of: bind, volume, tmpfs',
  },
  {
    rule: 'a named volume has a volume name',
    good: (app) => setVolumes(app, [{ type: 'volume', source: 'photo_cache.1', target: '/c' }]),
    bad: (app) => setVolumes(app, [{ type: 'volume', source: '/srv/cache', target: '/c' }]),
    path: 'app.volumes[0].source',
    message:
      '"/srv/cache" is not a volume name (letters, digits, "_", "." and "-", ' +
      'starting with a letter or digit)',
  },
  {
    rule: 'files lie under a bind mount source',
    good: (app) => (app.files = [{ path: `${DATA}/photo-vault/data/a/b.txt`, content: '' }]),
    bad: (app) => (app.files = [{ path: `${DATA}/photo-vault/other.txt`, content: '' }]),
    path: 'app.files[0].path',
    message:
      `"${DATA}/photo-vault/other.txt" is not under the source of one of this app's ` +
      `own bind mounts`,
  },
  {
    rule: 'file mode is octal',
    good: (app) =>
      (app.files = [{ path: `${DATA}/photo-vault/data/run`, content: '', mode: '755' }]),
    bad: (app) =>
      (app.files = [{ path: `${DATA}/photo-vault/data/run`, content: '', mode: '4755' }]),
    path: 'app.files[0].mode',
    message: '"4755" is not an octal file mode without special bits (e.g. "0644" or "0755")',
  },
]

describe('validateManifest rules: identity, images, refusals, host paths', () => {
  it('accepts the base manifest without any problem', () => {
    const check = validateManifest(makeDocument())
    expect(check.problems).toEqual([])
    expect(check.manifest?.id).toBe('photo-vault')
  })

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
})
