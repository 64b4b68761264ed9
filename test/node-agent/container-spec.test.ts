// Tests for the container spec: data-root mapping, placeholders, secrets, networks, security and
// health checks, built from normalized manifests.
import { describe, expect, it } from 'vitest'

import { ValidationError } from '../../src/errors.js'
import {
  buildContainerSpec,
  podmanSecretName,
  resolveImageName,
} from '../../node-agent/container-spec.js'
import type { NodeContext } from '../../node-agent/container-spec.js'
import type { HealthCheck } from '../../src/manifest/types.js'
import { buildTestManifest } from '../support/quadlet.js'

const context: NodeContext = { dataRoot: '/srv/archy', values: { HOST_IP: '192.168.1.20' } }
const timing = { interval: 30_000, timeout: 5_000, retries: 3, start_period: 0 }

describe('buildContainerSpec', () => {
  it('names the container by app id and labels it with id and version', () => {
    const { spec } = buildContainerSpec(buildTestManifest('vault'), context, {
      labels: { 'archy.config-hash': 'abc' },
    })
    expect(spec.name).toBe('vault')
    expect(spec.labels).toEqual({
      'archy.app': 'vault',
      'archy.version': '1.0.0',
      'archy.config-hash': 'abc',
    })
  })

  it('maps bind sources under /var/lib/archipelago onto the data root', () => {
    const manifest = buildTestManifest('vault', {
      dependencies: [{ app_id: 'vault-db' }],
      volumes: [
        { type: 'bind', source: '/var/lib/archipelago/vault/data', target: '/data', options: [] },
        {
          type: 'bind',
          source: '/var/lib/archipelago/vault-db/creds',
          target: '/c',
          options: ['ro'],
        },
        { type: 'volume', source: 'vault-cache', target: '/cache', options: ['rw'] },
        { type: 'tmpfs', target: '/tmp', options: ['size=64m'] },
      ],
    })
    expect(buildContainerSpec(manifest, context).spec.mounts).toEqual([
      {
        type: 'bind',
        source: '/srv/archy/vault/data',
        target: '/data',
        readonly: false,
        options: [],
      },
      {
        type: 'bind',
        source: '/srv/archy/vault-db/creds',
        target: '/c',
        readonly: true,
        options: [],
      },
      { type: 'volume', source: 'vault-cache', target: '/cache', readonly: false, options: [] },
      { type: 'tmpfs', target: '/tmp', options: ['size=64m'] },
    ])
  })

  it.each([
    ['/etc/passwd', [], 'is outside /var/lib/archipelago/<app id>'],
    ['/var/lib/archipelago', [], 'is outside /var/lib/archipelago/<app id>'],
    ['/var/lib/archipelago/vault/../other', [], "is not this app's data directory"],
    ['/var/lib/archipelago/other/data', ['ro'], "is not this app's data directory"],
    ['/var/lib/archipelago/vault-db/data', ['rw'], "is not this app's data directory"],
  ])('refuses the bind source %s (%j)', (source, options, message) => {
    const manifest = buildTestManifest('vault', {
      dependencies: [{ app_id: 'vault-db' }],
      volumes: [{ type: 'bind', source, target: '/data', options }],
    })
    expect(() => buildContainerSpec(manifest, context)).toThrow(ValidationError)
    expect(() => buildContainerSpec(manifest, context)).toThrow(
      `app.volumes[0].source: ${source} ${message}`,
    )
  })

  it('resolves placeholders it has values for and warns about the others', () => {
    const manifest = buildTestManifest('vault', {
      environment: [{ key: 'PLAIN', value: '{{HOST_IP}} stays literal here' }],
      container: {
        ...buildTestManifest('vault').container,
        derived_env: [
          { key: 'URL', template: 'https://{{HOST_IP}}:8443/{{ APP_ID }}' },
          { key: 'DIR', template: '{{APP_DATA_DIR}}/x' },
          { key: 'NPUB', template: 'key={{NODE_NOSTR_PUBKEY}}' },
        ],
      },
    })
    const { spec, warnings } = buildContainerSpec(manifest, context)
    expect(spec.environment).toEqual([
      { key: 'PLAIN', value: '{{HOST_IP}} stays literal here' },
      { key: 'URL', value: 'https://192.168.1.20:8443/vault' },
      { key: 'DIR', value: '/srv/archy/vault/x' },
      { key: 'NPUB', value: 'key={{NODE_NOSTR_PUBKEY}}' },
    ])
    expect(warnings).toEqual([
      'app.container.derived_env[2].template: no value for {{NODE_NOSTR_PUBKEY}} on this node; ' +
        'left as written',
    ])
  })

  it('names secrets by their owning app, its own by default', () => {
    const manifest = buildTestManifest('web', {
      container: {
        ...buildTestManifest('web').container,
        secret_env: [
          { key: 'DB_PASSWORD', secret_file: 'db-password' },
          { key: 'SESSION', secret_file: 'session-key' },
        ],
      },
    })
    const { spec } = buildContainerSpec(manifest, context, {
      secretOwners: { 'db-password': 'web-db' },
    })
    expect(spec.secrets).toEqual([
      {
        key: 'DB_PASSWORD',
        secretName: 'archy.web-db.db-password',
        ownerAppId: 'web-db',
        name: 'db-password',
      },
      {
        key: 'SESSION',
        secretName: 'archy.web.session-key',
        ownerAppId: 'web',
        name: 'session-key',
      },
    ])
  })

  it('joins its network, the one its policy names, and keeps its aliases', () => {
    const base = buildTestManifest('api')
    const manifest = buildTestManifest('api', {
      container: { ...base.container, network: 'stack-net' },
      security: { ...base.security, network_policy: 'archy-net' },
      network_aliases: ['backend', 'api-internal'],
      dependencies: [{ app_id: 'api-db', version: '>=1' }, { storage: 1024 }],
    })
    const { spec } = buildContainerSpec(manifest, context)
    expect(spec.network).toBe('stack-net')
    expect(spec.extraNetworks).toEqual(['archy-net'])
    expect(spec.aliases).toEqual(['backend', 'api-internal'])
    expect(spec.dependsOn).toEqual(['api-db'])
  })

  it('adds no extra network when isolated or when the policy names its own network', () => {
    const base = buildTestManifest('api')
    const own = buildTestManifest('api', {
      security: { ...base.security, network_policy: 'archy-net' },
    })
    expect(buildContainerSpec(base, context).spec.extraNetworks).toEqual([])
    expect(buildContainerSpec(own, context).spec.extraNetworks).toEqual([])
  })

  it('carries capabilities, read-only root, no-new-privileges and limits', () => {
    const base = buildTestManifest('api')
    const manifest = buildTestManifest('api', {
      security: { ...base.security, capabilities: ['CHOWN', 'SETUID'], readonly_root: false },
      resources: { memory_limit: 512 * 1024 * 1024, cpu_limit: 0.5 },
    })
    const { spec } = buildContainerSpec(manifest, context)
    expect(spec.capabilities).toEqual(['CHOWN', 'SETUID'])
    expect(spec.readonlyRoot).toBe(false)
    expect(spec.noNewPrivileges).toBe(true)
    expect(spec.memoryLimit).toBe(536870912)
    expect(spec.cpuLimit).toBe(0.5)
  })

  it.each<[string, HealthCheck, string[]]>([
    [
      'exec',
      { type: 'exec', command: ['/bin/check', '--quick'], ...timing },
      ['/bin/check', '--quick'],
    ],
    [
      'tcp',
      { type: 'tcp', port: 5432, ...timing },
      ['sh', '-c', 'nc -z 127.0.0.1 5432 2>/dev/null || nc -w 1 127.0.0.1 5432 </dev/null'],
    ],
    [
      'http',
      { type: 'http', endpoint: 'http://localhost:8080', path: '/healthz', ...timing },
      [
        'sh',
        '-c',
        'wget -q -O /dev/null http://localhost:8080/healthz || ' +
          'curl -fsS -o /dev/null http://localhost:8080/healthz',
      ],
    ],
    [
      'http with a query',
      { type: 'http', endpoint: 'http://localhost:8080/', path: '/h?a=1&b=2', ...timing },
      [
        'sh',
        '-c',
        "wget -q -O /dev/null 'http://localhost:8080/h?a=1&b=2' || " +
          "curl -fsS -o /dev/null 'http://localhost:8080/h?a=1&b=2'",
      ],
    ],
  ])('turns a %s health check into a command', (_name, check, command) => {
    const { spec } = buildContainerSpec(buildTestManifest('api', { health_check: check }), context)
    expect(spec.health).toEqual({
      command,
      interval: 30_000,
      timeout: 5_000,
      retries: 3,
      startPeriod: 0,
    })
  })

  it('runs file: and blake3: images under a local name and others as written', () => {
    const base = buildTestManifest('api')
    const local = buildTestManifest('api', {
      version: '2.0.0+build.7',
      container: { ...base.container, image: `blake3:${'a'.repeat(64)}` },
    })
    expect(resolveImageName(local)).toBe('localhost/archy/api:2.0.0_build.7')
    expect(buildContainerSpec(local, context).spec.image).toBe('localhost/archy/api:2.0.0_build.7')
    expect(buildContainerSpec(base, context).spec.image).toBe('registry.example/api:1.0.0')
    expect(buildContainerSpec(base, context, { image: 'localhost/x:1' }).spec.image).toBe(
      'localhost/x:1',
    )
  })
})

describe('podmanSecretName', () => {
  it('keeps (app, name) pairs apart', () => {
    expect(podmanSecretName('a-b', 'c')).toBe('archy.a-b.c')
    expect(podmanSecretName('a', 'b-c')).toBe('archy.a.b-c')
  })

  it.each([
    ['Bad_App', 'x', 'app.id: "Bad_App" is not a valid app id'],
    ['app', 'has space', 'app.generated_secrets: "has space" cannot name a Podman secret'],
    ['app', '-leading', 'app.generated_secrets: "-leading" cannot name a Podman secret'],
    ['app', 'x'.repeat(250), 'cannot name a Podman secret'],
  ])('refuses app %s with secret %s', (app, name, message) => {
    expect(() => podmanSecretName(app, name)).toThrow(message)
  })
})
