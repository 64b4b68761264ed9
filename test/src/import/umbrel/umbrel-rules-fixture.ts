// Small made-up Umbrel apps for the importer's rule tests: a scratch store that is removed after
// the file's tests, a writer of one app, the compose snippets they are built from, and readers.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterAll } from 'vitest'

import { importUmbrelApps } from '../../../../src/import/umbrel/import-umbrel.js'
import { formatNote } from '../../../../src/import/umbrel/report.js'
import type { AppImport } from '../../../../src/import/umbrel/report.js'

export const root = mkdtempSync(path.join(tmpdir(), 'archy-umbrel-rules-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

export const IMAGE = 'example/web:1.0.0@sha256:' + 'a'.repeat(64)
let count = 0

/** Makes a fresh, numbered folder under the scratch root. */
export function makeDir(prefix: string): string {
  const dir = path.join(root, `${prefix}-${(count += 1)}`)
  mkdirSync(dir)
  return dir
}

/** Writes one app (umbrel-app.yml fields and the compose services) and imports it. */
export async function importApp(
  services: string,
  meta = '',
  options: { idPrefix?: string } = {},
): Promise<AppImport> {
  const dir = makeDir('app')
  writeFileSync(
    path.join(dir, 'umbrel-app.yml'),
    `id: demo\nname: Demo\nversion: "1.2.3"\nport: 18500\ndependencies: [other]\n${meta}`,
  )
  writeFileSync(path.join(dir, 'docker-compose.yml'), `version: "3.7"\nservices:\n${services}`)
  const [app] = await importUmbrelApps(dir, options)
  return app!
}

/** Returns a store folder under the scratch root and a writer of its apps' files. */
export function makeStore(name: string): {
  store: string
  write: (app: string, file: string, text: string) => void
} {
  const store = path.join(root, name)
  const write = (app: string, file: string, text: string): void => {
    mkdirSync(path.join(store, app), { recursive: true })
    writeFileSync(path.join(store, app, file), text)
  }
  return { store, write }
}

export const proxy = (host = 'demo_web_1', port = '8080'): string =>
  `  app_proxy:\n    environment:\n      APP_HOST: ${host}\n      APP_PORT: ${port}\n`
export const web = (extra = ''): string => `  web:\n    image: ${IMAGE}\n${extra}`
export const side = (extra = ''): string => `  side:\n    image: ${IMAGE}\n${extra}`
export const notes = (list: AppImport['refusals']): string[] => list.map(formatNote)
export const primary = (app: AppImport): Record<string, any> =>
  app.manifests[0]!.document.app as Record<string, any>
export const member = (app: AppImport, id: string): Record<string, any> =>
  app.manifests.find((m) => m.document.app.id === id)!.document.app as Record<string, any>
