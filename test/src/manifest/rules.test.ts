// Every rule of DESIGN.md §4, one row each: an input that keeps the rule (no error) and one that
// breaks it, with the exact path and message the validator must report and no other error.
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
  'CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT'

const port = (app: RawApp) => (app.ports as Record<string, unknown>[])[0]!
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
      '"Photo_Vault" is not a lowercase kebab-case DNS label (a-z, 0-9 and single hyphens, 1-63 characters)',
  },
  {
    rule: 'id has at most 63 characters',
    good: (app) => setId(app, 'x-1'),
    bad: (app) => setId(app, 'a'.repeat(64)),
    path: 'app.id',
    message: `"${'a'.repeat(64)}" is not a lowercase kebab-case DNS label (a-z, 0-9 and single hyphens, 1-63 characters)`,
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
  // Images
  {
    rule: 'image is never latest',
    good: (app) => (app.container.image = 'example/app:latest@sha256:' + HEX),
    bad: (app) => (app.container.image = 'example/app:latest'),
    path: 'app.container.image',
    message:
      '"example/app:latest" is not pinned: "latest" is refused, use a version tag or an @sha256 digest',
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
      '"example/app@sha256:abc" has a bad digest: use @sha256: followed by 64 lowercase hex characters',
  },
  {
    rule: 'image blake3 reference has 64 hex',
    good: (app) => (app.container.image = 'blake3:' + HEX),
    bad: (app) => (app.container.image = 'blake3:' + HEX.toUpperCase()),
    path: 'app.container.image',
    message: `"blake3:${HEX.toUpperCase()}" must be blake3: followed by 64 lowercase hex characters`,
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
    message: `host path "/etc" is refused: a bind source must be under ${DATA}/photo-vault (or, read-only, under the directory of a declared dependency)`,
  },
  {
    rule: 'bind source of another app is refused',
    good: (app) => setVolumes(app, [bind(`${DATA}/photo-vault/a/b`)]),
    bad: (app) => setVolumes(app, [bind(`${DATA}/photo-vaultx/data`)]),
    path: 'app.volumes[0].source',
    message: `host path "${DATA}/photo-vaultx/data" is refused: a bind source must be under ${DATA}/photo-vault (or, read-only, under the directory of a declared dependency)`,
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
    message: `host path "${DATA}/photo-db/creds" belongs to dependency photo-db and must be mounted read-only (options must include "ro")`,
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
      'socket "/run/user/1000/podman/podman.sock" is refused: apps never get the container engine\'s or any host socket',
  },
  {
    rule: 'ro and rw do not mix',
    good: (app) => (volume(app).options = ['ro', 'Z']),
    bad: (app) => (volume(app).options = ['ro', 'rw']),
    path: 'app.volumes[0].options',
    message: 'options cannot hold both "ro" and "rw"',
  },
  {
    rule: 'mount options are single words',
    good: (app) => (volume(app).options = ['rw', 'U']),
    bad: (app) => (volume(app).options = ['rw,dev']),
    path: 'app.volumes[0].options[0]',
    message: '"rw,dev" is not a mount option',
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
      '"/srv/cache" is not a volume name (letters, digits, "_", "." and "-", starting with a letter or digit)',
  },
  {
    rule: 'files lie under a bind mount source',
    good: (app) => (app.files = [{ path: `${DATA}/photo-vault/data/a/b.txt`, content: '' }]),
    bad: (app) => (app.files = [{ path: `${DATA}/photo-vault/other.txt`, content: '' }]),
    path: 'app.files[0].path',
    message: `"${DATA}/photo-vault/other.txt" is not under the source of one of this app's own bind mounts`,
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
  // Ports
  {
    rule: 'host port is at least 1024',
    good: (app) => (port(app).host = 1024),
    bad: (app) => (port(app).host = 80),
    path: 'app.ports[0].host',
    message: 'port 80 is below 1024 and rootless Podman cannot bind it',
  },
  {
    rule: 'host port is at most 65535',
    good: (app) => (port(app).host = 65535),
    bad: (app) => (port(app).host = 65536),
    path: 'app.ports[0].host',
    message: 'port 65536 is above 65535',
  },
  {
    rule: 'container port is 1-65535',
    good: (app) => (port(app).container = 80),
    bad: (app) => (port(app).container = 0),
    path: 'app.ports[0].container',
    message: 'must be an integer from 1 to 65535 (got 0)',
  },
  {
    rule: 'auth open needs a rationale',
    good: (app) => Object.assign(port(app), { auth: 'open', auth_rationale: 'public page' }),
    bad: (app) => (port(app).auth = 'open'),
    path: 'app.ports[0].auth',
    message: 'auth "open" needs an auth_rationale',
  },
  {
    rule: 'no two ports share a host port and protocol',
    good: (app) =>
      app.ports!.constructor &&
      (app.ports = [port(app), { host: 8443, container: 1, protocol: 'udp' }]),
    bad: (app) => (app.ports = [port(app), { host: 8443, container: 9090 }]),
    path: 'app.ports[1].host',
    message: 'host port 8443/tcp is already published by app.ports[0]',
  },
  {
    rule: 'bind address is an IP address',
    good: (app) => (port(app).bind = '0.0.0.0'),
    bad: (app) => (port(app).bind = 'localhost'),
    path: 'app.ports[0].bind',
    message: '"localhost" is not an IP address',
  },
  // Placeholders and environment
  {
    rule: 'derived_env uses known placeholders',
    good: (app) =>
      (app.container.derived_env = [
        {
          key: 'URL',
          template:
            'https://{{HOST_IP}}/{{ APP_ID }}:{{HOST_MDNS}}{{NODE_NOSTR_PUBKEY}}{{NODE_IDENTITY_PUBKEYS}}{{APP_DATA_DIR}}',
        },
      ]),
    bad: (app) => (app.container.derived_env = [{ key: 'URL', template: 'https://{{NAME}}' }]),
    path: 'app.container.derived_env[0].template',
    message: 'unknown placeholder {{NAME}}',
  },
  {
    rule: 'environment keys are POSIX names',
    good: (app) => (app.environment = ['LOG_LEVEL=info', { key: '_X1', value: 'y' }]),
    bad: (app) => (app.environment = [{ key: '1X', value: 'y' }]),
    path: 'app.environment[0].key',
    message:
      '"1X" is not a POSIX environment variable name (letters, digits and "_", not starting with a digit)',
  },
  {
    rule: 'environment strings are KEY=value',
    good: (app) => (app.environment = ['EMPTY=']),
    bad: (app) => (app.environment = ['LOG_LEVEL']),
    path: 'app.environment[0]',
    message: '"LOG_LEVEL" is not KEY=value',
  },
  {
    rule: 'a variable is set once',
    good: (app) => (app.environment = ['A=1', 'B=2']),
    bad: (app) => (app.environment = ['DB_PASSWORD=plain']),
    path: 'app.container.secret_env[0].key',
    message: 'DB_PASSWORD is already set at app.environment[0].key',
  },
  // Secrets
  {
    rule: 'secret_env names a generated secret',
    good: () => {},
    bad: (app) => (app.generated_secrets = []),
    path: 'app.container.secret_env[0].secret_file',
    message: 'no generated secret "photo-vault-db-password" in this app or its dependencies',
  },
  {
    rule: 'secret names are lowercase names',
    good: (app) =>
      (app.generated_secrets = [
        { name: 'a', length: 16, charset: 'hex' },
        { name: 'photo-vault-db-password', length: 4096, charset: 'base64url' },
      ]),
    bad: (app) =>
      (app.generated_secrets = [
        { name: 'photo-vault-db-password', length: 32, charset: 'hex' },
        { name: 'Bad/Name', length: 32, charset: 'hex' },
      ]),
    path: 'app.generated_secrets[1].name',
    message:
      '"Bad/Name" is not a secret name (lowercase letters, digits, ".", "_" and "-", 1-63 characters, starting with a letter or digit)',
  },
  {
    rule: 'generated secret length is 16-4096',
    good: () => {},
    bad: (app) => ((app.generated_secrets as Record<string, unknown>[])[0]!.length = 8),
    path: 'app.generated_secrets[0].length',
    message: 'must be an integer from 16 to 4096 (got 8)',
  },
  {
    rule: 'generated secret charset is an enum',
    good: () => {},
    bad: (app) => ((app.generated_secrets as Record<string, unknown>[])[0]!.charset = 'ascii'),
    path: 'app.generated_secrets[0].charset',
    message: '"ascii" is not one of: alphanumeric, hex, base64url',
  },
  {
    rule: 'a secret is declared once',
    good: () => {},
    bad: (app) =>
      (app.generated_secrets = [
        ...(app.generated_secrets as unknown[]),
        { name: 'photo-vault-db-password', length: 16, charset: 'hex' },
      ]),
    path: 'app.generated_secrets[1].name',
    message: 'secret "photo-vault-db-password" is already declared at app.generated_secrets[0]',
  },
  // Names
  {
    rule: 'network names are Podman network names',
    good: (app) => (app.container.network = 'Photo_Net.1'),
    bad: (app) => (app.container.network = 'photo net'),
    path: 'app.container.network',
    message:
      '"photo net" is not a network name (letters, digits, "_", "." and "-", 1-63 characters, starting with a letter or digit)',
  },
  {
    rule: 'aliases are DNS labels',
    good: (app) => (app.network_aliases = ['vault', 'photos-2']),
    bad: (app) => (app.network_aliases = ['Vault_1']),
    path: 'app.network_aliases[0]',
    message:
      '"Vault_1" is not a network alias (a DNS label: lowercase letters, digits and single hyphens, 1-63 characters)',
  },
  {
    rule: 'aliases are unique',
    good: () => {},
    bad: (app) => (app.network_aliases = ['vault', 'vault']),
    path: 'app.network_aliases[1]',
    message: 'alias "vault" is already listed at app.network_aliases[0]',
  },
  {
    rule: 'data_uid is 0-65535',
    good: (app) => (app.container.data_uid = 0),
    bad: (app) => (app.container.data_uid = 70000),
    path: 'app.container.data_uid',
    message: 'must be an integer from 0 to 65535 (got 70000)',
  },
  // Dependencies and resources
  {
    rule: 'dependency version is a SemVer range',
    good: (app) => (app.dependencies = [{ app_id: 'photo-db', version: '^16.1 || >=17' }]),
    bad: (app) => (app.dependencies = [{ app_id: 'photo-db', version: 'newest' }]),
    path: 'app.dependencies[0].version',
    message: '"newest" is not a SemVer range (e.g. ">=1.2.0")',
  },
  {
    rule: 'a dependency names an app or storage',
    good: (app) => (app.dependencies = [{ storage: '10Gi' }]),
    bad: (app) => (app.dependencies = [{ version: '>=1.0.0' }]),
    path: 'app.dependencies[0]',
    message: 'a dependency names either app_id or storage',
  },
  {
    rule: 'an app does not depend on itself',
    good: () => {},
    bad: (app) => (app.dependencies = [{ app_id: 'photo-vault' }]),
    path: 'app.dependencies[0].app_id',
    message: 'app "photo-vault" cannot depend on itself',
  },
  {
    rule: 'sizes use Ki/Mi/Gi/Ti',
    good: (app) => (app.resources = { memory_limit: '512Mi', cpu_limit: 0.5 }),
    bad: (app) => (app.resources = { memory_limit: '512MB' }),
    path: 'app.resources.memory_limit',
    message:
      '"512MB" is not a size (a whole number of bytes, or with Ki, Mi, Gi or Ti, e.g. 512Mi)',
  },
  {
    rule: 'cpu_limit is positive',
    good: (app) => (app.resources = { cpu_limit: 2 }),
    bad: (app) => (app.resources = { cpu_limit: 0 }),
    path: 'app.resources.cpu_limit',
    message: 'must be a positive number of cores',
  },
  // Health checks and hooks
  {
    rule: 'durations have a unit',
    good: (app) => (app.health_check = { type: 'tcp', port: 8080, interval: '1m30s' }),
    bad: (app) => (app.health_check = { type: 'tcp', port: 8080, interval: '30' }),
    path: 'app.health_check.interval',
    message: '"30" is not a duration (e.g. 500ms, 30s, 5m, 1h or 1m30s)',
  },
  {
    rule: 'an http health check has a URL endpoint',
    good: (app) => (app.health_check = { type: 'http', endpoint: 'http://localhost:8080' }),
    bad: (app) => (app.health_check = { type: 'http', endpoint: 'localhost:8080' }),
    path: 'app.health_check.endpoint',
    message: 'must be an http:// or https:// URL',
  },
  {
    rule: 'an exec health check has a command',
    good: (app) => (app.health_check = { type: 'exec', command: ['true'] }),
    bad: (app) => (app.health_check = { type: 'exec', command: [] }),
    path: 'app.health_check.command',
    message: 'must not be empty',
  },
  {
    rule: 'copy_from_host.src is relative',
    good: (app) =>
      (app.hooks = { post_install: [{ copy_from_host: { src: 'web/p.js', dest: '/srv/p.js' } }] }),
    bad: (app) =>
      (app.hooks = { post_install: [{ copy_from_host: { src: '/etc/passwd', dest: '/srv/p' } }] }),
    path: 'app.hooks.post_install[0].copy_from_host.src',
    message: '"/etc/passwd" must be a path relative to the manifest',
  },
  {
    rule: 'copy_from_host.src has no .. segments',
    good: (app) =>
      (app.hooks = { post_install: [{ copy_from_host: { src: 'a..b/c', dest: '/c' } }] }),
    bad: (app) =>
      (app.hooks = { post_install: [{ copy_from_host: { src: 'web/../../key', dest: '/c' } }] }),
    path: 'app.hooks.post_install[0].copy_from_host.src',
    message: '"web/../../key" must not contain ".." segments',
  },
  {
    rule: 'copy_from_host.dest is absolute',
    good: (app) => (app.hooks = { post_install: [{ exec: { command: ['/bin/app', 'migrate'] } }] }),
    bad: (app) => (app.hooks = { post_install: [{ copy_from_host: { src: 'a', dest: 'srv/a' } }] }),
    path: 'app.hooks.post_install[0].copy_from_host.dest',
    message: '"srv/a" must be an absolute path',
  },
  {
    rule: 'a hook step is one action',
    good: () => {},
    bad: (app) => (app.hooks = { post_install: [{}] }),
    path: 'app.hooks.post_install[0]',
    message: 'a hook step has exactly one of copy_from_host or exec',
  },
]

describe('validateManifest rules', () => {
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
