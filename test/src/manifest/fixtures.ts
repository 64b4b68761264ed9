// A small valid manifest for the manifest tests, and helpers to break one field of it.
import type { ManifestProblem } from '../../../src/manifest/validate.js'

export type RawApp = Record<string, unknown> & {
  container: Record<string, unknown>
  security?: Record<string, unknown>
}

const SECRET = 'photo-vault-db-password'
const DATA = '/var/lib/archipelago/photo-vault/data'

/** A fresh copy of a valid manifest document with a bind mount, a port and a secret. */
export function makeDocument(): { app: RawApp } {
  return {
    app: {
      id: 'photo-vault',
      name: 'Photo Vault',
      version: '1.4.2',
      container: {
        image: `ghcr.io/example/photo-vault:1.4.2@sha256:${'a'.repeat(64)}`,
        command: ['serve'],
        secret_env: [{ key: 'DB_PASSWORD', secret_file: SECRET }],
      },
      generated_secrets: [{ name: SECRET, length: 32, charset: 'alphanumeric' }],
      ports: [{ host: 8443, container: 8080 }],
      volumes: [{ type: 'bind', source: DATA, target: '/data' }],
      files: [{ path: `${DATA}/app.ini`, content: '[core]\n' }],
    },
  }
}

/** A document whose app was changed by `edit`. */
export function editDocument(edit: (app: RawApp) => void): { app: RawApp } {
  const document = makeDocument()
  edit(document.app)
  return document
}

export function errorsOf(problems: ManifestProblem[]): ManifestProblem[] {
  return problems.filter((problem) => problem.severity === 'error')
}

export function warningsOf(problems: ManifestProblem[]): ManifestProblem[] {
  return problems.filter((problem) => problem.severity === 'warning')
}
