// Validation of several manifests together: dependencies, secrets of dependencies,
// aliases and host ports across the set, and requireValidManifests' error.
import { describe, expect, it } from 'vitest'

import { ValidationError } from '../../../src/errors.js'
import { requireValidManifests, validateManifestSet } from '../../../src/manifest/validate.js'

function makeApp(id: string, extra: Record<string, unknown> = {}) {
  return { app: { id, name: id, version: '1.0.0', container: { image: 'busybox:1.36' }, ...extra } }
}

const db = makeApp('vault-db', {
  generated_secrets: [{ name: 'db-password', length: 32, charset: 'hex' }],
  network_aliases: ['db'],
})
const web = makeApp('vault', {
  container: {
    image: 'busybox:1.36',
    secret_env: [{ key: 'DB_PASSWORD', secret_file: 'db-password' }],
  },
  dependencies: [{ app_id: 'vault-db', version: '>=1.0.0' }],
  ports: [{ host: 18080, container: 80 }],
})

describe('validateManifestSet', () => {
  it('resolves a secret and a dependency across the set', () => {
    const { checks } = validateManifestSet([web, db])
    expect(checks.map((check) => check.problems)).toEqual([[], []])
    expect(checks.map((check) => check.manifest?.id)).toEqual(['vault', 'vault-db'])
  })

  it('warns about a dependency outside the set and its unresolved secret', () => {
    const [check] = validateManifestSet([web]).checks
    expect(check?.problems).toEqual([
      {
        severity: 'warning',
        path: 'app.container.secret_env[0].secret_file',
        message:
          'no generated secret "db-password" in this app or the dependencies given ' +
          '(not given: vault-db)',
      },
      {
        severity: 'warning',
        path: 'app.dependencies[0].app_id',
        message: 'depends on app "vault-db", which is not among the manifests given',
      },
    ])
    expect(check?.manifest).toBeDefined()
  })

  it('refuses a secret that no app of the set declares', () => {
    const bare = makeApp('vault-db')
    const [check] = validateManifestSet([web, bare]).checks
    expect(check?.problems).toEqual([
      {
        severity: 'error',
        path: 'app.container.secret_env[0].secret_file',
        message: 'no generated secret "db-password" in this app or its dependencies',
      },
    ])
  })

  it('refuses a dependency whose given version is out of range', () => {
    const old = structuredClone(db)
    old.app.version = '0.9.0'
    const [check] = validateManifestSet([web, old]).checks
    expect(check?.problems).toEqual([
      {
        severity: 'error',
        path: 'app.dependencies[0].version',
        message: 'vault-db 0.9.0 (given) does not satisfy ">=1.0.0"',
      },
    ])
  })

  it('refuses shared aliases, aliases of another app, port clashes and repeated ids', () => {
    const other = makeApp('cache', {
      network_aliases: ['db', 'vault'],
      ports: [{ host: 18080, container: 1 }],
    })
    const again = makeApp('cache')
    const { checks } = validateManifestSet([web, db, other, again])
    expect(checks[2]?.problems).toEqual([
      {
        severity: 'error',
        path: 'app.network_aliases[0]',
        message: 'alias "db" is also claimed by vault-db',
      },
      {
        severity: 'error',
        path: 'app.network_aliases[1]',
        message: 'alias "vault" is the id of app vault',
      },
      {
        severity: 'error',
        path: 'app.ports[0].host',
        message: 'host port 18080/tcp is also published by vault',
      },
    ])
    expect(checks[3]?.problems).toEqual([
      { severity: 'error', path: 'app.id', message: 'app "cache" is given twice' },
    ])
  })
})

describe('requireValidManifests', () => {
  it('returns the normalized manifests of a valid set', () => {
    expect(requireValidManifests([web, db]).map((manifest) => manifest.id)).toEqual([
      'vault',
      'vault-db',
    ])
  })

  it('throws one ValidationError naming every error, with the manifest index in a set', () => {
    const bad = makeApp('vault-db', { ports: [{ host: 80, container: 80 }], version: 'x' })
    let thrown: unknown
    try {
      requireValidManifests([web, bad])
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ValidationError)
    expect((thrown as ValidationError).path).toBe(
      'manifests[0].app.container.secret_env[0].secret_file',
    )
    expect((thrown as ValidationError).message).toBe(
      'manifests[0].app.container.secret_env[0].secret_file: no generated secret ' +
        '"db-password" in this app or its dependencies; ' +
        'manifests[1].app.version: "x" is not a SemVer 2.0.0 version (e.g. 1.4.2); ' +
        'manifests[1].app.ports[0].host: port 80 is below 1024 and rootless Podman ' +
        'cannot bind it',
    )
  })

  it('names paths without an index for a single manifest', () => {
    expect(() => requireValidManifests([makeApp('a', { privileged: true })])).toThrow(
      'app.privileged: privileged containers are refused: rootless Podman only',
    )
  })
})
