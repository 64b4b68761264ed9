// DESIGN.md §4 rules, continued (ports, environment, secrets, names, dependencies,
// health checks, hooks): one row each, good and bad input, exact path and message.
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

/** A hook list with one copy_from_host step. */
const copyHook = (src: string, dest: string) => ({
  post_install: [{ copy_from_host: { src, dest } }],
})

const port = (app: RawApp) => (app.ports as Record<string, unknown>[])[0]!

const rows: RuleRow[] = [
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
            'https://{{HOST_IP}}/{{ APP_ID }}:{{HOST_MDNS}}' +
            '{{NODE_NOSTR_PUBKEY}}{{NODE_IDENTITY_PUBKEYS}}{{APP_DATA_DIR}}',
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
      '"1X" is not a POSIX environment variable name (letters, digits and "_", not ' +
      'starting with a digit)',
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
      '"Bad/Name" is not a secret name (lowercase letters, digits, ".", "_" and ' +
      '"-", 1-63 characters, starting with a letter or digit)',
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
      '"photo net" is not a network name (letters, digits, "_", "." and "-", 1-63 ' +
      'characters, starting with a letter or digit)',
  },
  {
    rule: 'aliases are DNS labels',
    good: (app) => (app.network_aliases = ['vault', 'photos-2']),
    bad: (app) => (app.network_aliases = ['Vault_1']),
    path: 'app.network_aliases[0]',
    message:
      '"Vault_1" is not a network alias (a DNS label: lowercase letters, digits and ' +
      'single hyphens, 1-63 characters)',
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
    good: (app) => (app.hooks = copyHook('web/p.js', '/srv/p.js')),
    bad: (app) => (app.hooks = copyHook('/etc/passwd', '/srv/p')),
    path: 'app.hooks.post_install[0].copy_from_host.src',
    message: '"/etc/passwd" must be a path relative to the manifest',
  },
  {
    rule: 'copy_from_host.src has no .. segments',
    good: (app) => (app.hooks = copyHook('a..b/c', '/c')),
    bad: (app) => (app.hooks = copyHook('web/../../key', '/c')),
    path: 'app.hooks.post_install[0].copy_from_host.src',
    message: '"web/../../key" must not contain ".." segments',
  },
  {
    rule: 'copy_from_host.dest is absolute',
    good: (app) => (app.hooks = copyHook('a', '/srv/a')),
    bad: (app) => (app.hooks = copyHook('a', 'srv/a')),
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

describe('validateManifest rules: ports, variables, secrets, names, hooks', () => {
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
