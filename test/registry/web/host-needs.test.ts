// What the app page says an app asks of the host, and the install commands it prints.
import { describe, expect, it } from 'vitest'

import type { AppManifest } from '../../../src/manifest/types.js'
import { requireValidManifests } from '../../../src/manifest/validate.js'
import {
  buildInstallCommands,
  describeHostNeeds,
  quoteShellWord,
} from '../../../registry/web/host-needs.js'

function normalize(app: Record<string, unknown>): AppManifest {
  const container = { image: `blake3:${'b'.repeat(64)}` }
  const manifest = { id: 'vault', name: 'Vault', version: '1.0.0', container, ...app }
  return requireValidManifests([{ app: manifest }])[0]!
}

describe('describeHostNeeds', () => {
  it('describes a bare manifest by its defaults', () => {
    expect(describeHostNeeds(normalize({}))).toEqual({
      ports: [],
      volumes: [],
      secrets: [],
      capabilities: [],
      dependencies: [],
      resources: [],
      isolation: [
        'network archy-net (isolated)',
        'read-only root file system',
        'no new privileges',
      ],
    })
  })

  it('names every port, volume, secret, capability, dependency and limit', () => {
    const needs = describeHostNeeds(
      normalize({
        container: {
          image: `blake3:${'b'.repeat(64)}`,
          network: 'vault-net',
          secret_env: [
            { key: 'DB_PASSWORD', secret_file: 'vault-db' },
            { key: 'TOKEN', secret_file: 'vault-db' },
          ],
        },
        generated_secrets: [{ name: 'vault-db', length: 24, charset: 'base64url' }],
        dependencies: [{ app_id: 'vault-db', version: '>=2.0.0' }, { storage: '10Gi' }],
        security: { capabilities: ['chown'], readonly_root: false, no_new_privileges: false },
        ports: [
          { host: 8443, container: 8080, bind: '0.0.0.0', auth: 'open', auth_rationale: 'public' },
          { host: 5353, container: 53, protocol: 'udp' },
        ],
        volumes: [
          {
            type: 'bind',
            source: '/var/lib/archipelago/vault/data',
            target: '/data',
            options: ['ro'],
          },
          { type: 'volume', source: 'cache', target: '/cache' },
          { type: 'tmpfs', target: '/tmp', options: ['size=64m'] },
        ],
        resources: { memory_limit: '1536Mi', cpu_limit: 0.5 },
      }),
    )
    expect(needs).toEqual({
      ports: ['0.0.0.0:8443 -> 8080/tcp (open: public)', '127.0.0.1:5353 -> 53/udp (gated)'],
      volumes: [
        'host directory /var/lib/archipelago/vault/data at /data (ro)',
        'named volume cache at /cache',
        'tmpfs at /tmp (size=64m)',
      ],
      secrets: ['vault-db: 24 base64url characters, made once, given as DB_PASSWORD, TOKEN'],
      capabilities: ['CHOWN'],
      dependencies: ['app vault-db >=2.0.0', '10 GiB free under the data root'],
      resources: ['memory up to 1536 MiB', 'up to 0.5 CPU core(s)'],
      isolation: ['network vault-net (isolated)', 'writable root file system'],
    })
  })
})

describe('buildInstallCommands', () => {
  it('follows the registry with its DID pinned, then installs the address', () => {
    const registry = { url: 'https://registry.example', did: 'did:key:z6MkOperator' }
    expect(buildInstallCommands(registry, 'vault@did:key:z6MkPublisher')).toEqual([
      'archy agent add-registry https://registry.example --did did:key:z6MkOperator',
      'archy agent install vault@did:key:z6MkPublisher',
    ])
  })
})

describe('quoteShellWord', () => {
  it.each([
    ['vault', 'vault'],
    ['https://registry.example:8443/base', 'https://registry.example:8443/base'],
    ['a b', "'a b'"],
    ["it's", `'it'\\''s'`],
    ['$(rm -rf ~)', "'$(rm -rf ~)'"],
  ])('%s reads back as itself', (word, quoted) => {
    expect(quoteShellWord(word)).toBe(quoted)
  })
})
