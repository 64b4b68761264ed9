// Defaults and normalization: what validateManifest returns for what an author wrote.
import { describe, expect, it } from 'vitest'

import { validateManifest } from '../../../src/manifest/validate.js'

const minimal = {
  app: { id: 'tiny', name: 'Tiny', version: '0.1.0', container: { image: 'busybox:1.36' } },
}

describe('validateManifest normalization', () => {
  it('applies every default of DESIGN.md §4 to a minimal manifest', () => {
    const { manifest, problems } = validateManifest(minimal)
    expect(problems).toEqual([])
    expect(manifest).toEqual({
      id: 'tiny',
      name: 'Tiny',
      version: '0.1.0',
      container: {
        image: 'busybox:1.36',
        legacy_names: [],
        pull_policy: 'if-not-present',
        network: 'archy-net',
        derived_env: [],
        secret_env: [],
      },
      generated_secrets: [],
      network_aliases: [],
      dependencies: [],
      resources: {},
      security: {
        capabilities: [],
        readonly_root: true,
        no_new_privileges: true,
        network_policy: 'isolated',
      },
      ports: [],
      volumes: [],
      environment: [],
      files: [],
      hooks: { post_install: [] },
      interfaces: {},
      metadata: {},
    })
  })

  it('defaults port protocol, bind address and auth', () => {
    const document = structuredClone(minimal) as { app: Record<string, unknown> }
    document.app.ports = [{ host: 18080, container: 80 }]
    expect(validateManifest(document).manifest?.ports).toEqual([
      { host: 18080, container: 80, protocol: 'tcp', bind: '127.0.0.1', auth: 'gated' },
    ])
  })

  it.each([
    ['10Gi', 10 * 1024 ** 3],
    ['512Mi', 512 * 1024 ** 2],
    ['64Ki', 64 * 1024],
    ['1Ti', 1024 ** 4],
    ['4096', 4096],
  ])('turns the size %s into %i bytes', (size, bytes) => {
    const document = structuredClone(minimal) as { app: Record<string, unknown> }
    document.app.dependencies = [{ storage: size }]
    document.app.resources = { memory_limit: size }
    const { manifest } = validateManifest(document)
    expect(manifest?.dependencies).toEqual([{ storage: bytes }])
    expect(manifest?.resources.memory_limit).toBe(bytes)
  })

  it.each([
    ['30s', 30_000],
    ['500ms', 500],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
  ])('turns the duration %s into %i ms', (duration, ms) => {
    const document = structuredClone(minimal) as { app: Record<string, unknown> }
    document.app.health_check = { type: 'tcp', port: 80, interval: duration }
    const check = validateManifest(document).manifest?.health_check
    expect(check).toEqual({
      type: 'tcp',
      port: 80,
      interval: ms,
      timeout: 5000,
      retries: 3,
      start_period: 0,
    })
  })

  it('turns KEY=value strings into key and value, keeping later "=" in the value', () => {
    const document = structuredClone(minimal) as { app: Record<string, unknown> }
    document.app.environment = ['A=1', 'B=x=y', 'C=', { key: 'D', value: 8080 }]
    expect(validateManifest(document).manifest?.environment).toEqual([
      { key: 'A', value: '1' },
      { key: 'B', value: 'x=y' },
      { key: 'C', value: '' },
      { key: 'D', value: '8080' },
    ])
  })

  it('normalizes capabilities, file modes and hook steps', () => {
    const document = structuredClone(minimal) as { app: Record<string, unknown> }
    document.app.security = { capabilities: ['cap_chown', 'setuid'], readonly_root: false }
    document.app.volumes = [{ type: 'bind', source: '/var/lib/archipelago/tiny', target: '/d' }]
    document.app.files = [
      { path: '/var/lib/archipelago/tiny/a', content: 'a' },
      { path: '/var/lib/archipelago/tiny/b', content: 'b', mode: '755', overwrite: true },
    ]
    document.app.hooks = { post_install: [{ exec: { command: ['true'] } }] }
    const { manifest } = validateManifest(document)
    expect(manifest?.security.capabilities).toEqual(['CHOWN', 'SETUID'])
    expect(manifest?.security.readonly_root).toBe(false)
    expect(manifest?.files.map((file) => [file.mode, file.overwrite])).toEqual([
      ['0644', false],
      ['0755', true],
    ])
    expect(manifest?.hooks.post_install).toEqual([{ exec: { command: ['true'] } }])
  })

  it('reports every problem at once, missing keys first, then in document order', () => {
    const document = {
      app: {
        id: 'Bad Id',
        version: '1',
        container: { image: 'x', data_uid: -1 },
        ports: [{ host: 22, container: 22 }],
      },
    }
    expect(validateManifest(document).problems.map((problem) => problem.path)).toEqual([
      'app.name',
      'app.id',
      'app.version',
      'app.container.image',
      'app.container.data_uid',
      'app.ports[0].host',
    ])
  })

  it.each([
    ['a string', 'app: 1', '', 'expected a mapping, got a string'],
    ['null', null, '', 'expected a mapping, got null'],
    ['no app key', {}, 'app', 'required key is missing'],
    ['an app list', { app: [] }, 'app', 'expected a mapping, got a list'],
  ])('refuses a document that is %s', (_name, document, path, message) => {
    const check = validateManifest(document)
    expect(check.problems).toEqual([{ severity: 'error', path, message }])
    expect(check.manifest).toBeUndefined()
  })
})
