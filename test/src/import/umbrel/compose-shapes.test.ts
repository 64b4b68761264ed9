// Compose keys of the wrong type: on the main service they refuse the app, on a side service
// they leave it out for a decision; each names the service, the key and the rule.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { importUmbrelApps } from '../../../../src/import/umbrel/import-umbrel.js'
import { formatNote } from '../../../../src/import/umbrel/report.js'
import type { AppImport } from '../../../../src/import/umbrel/report.js'

const root = mkdtempSync(path.join(tmpdir(), 'archy-umbrel-shapes-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const IMAGE = 'example/web:1.0.0@sha256:' + 'a'.repeat(64)
const PROXY = '  app_proxy:\n    environment:\n      APP_HOST: demo_web_1\n      APP_PORT: 8080\n'
let count = 0

async function importServices(services: string): Promise<AppImport> {
  const dir = path.join(root, `app-${(count += 1)}`)
  mkdirSync(dir)
  writeFileSync(
    path.join(dir, 'umbrel-app.yml'),
    'id: demo\nname: Demo\nversion: "1"\nport: 18500\n',
  )
  writeFileSync(path.join(dir, 'docker-compose.yml'), `services:\n${PROXY}${services}`)
  const [app] = await importUmbrelApps(dir)
  return app!
}

const CASES: [string, string, string][] = [
  ['entrypoint: {a: b}', 'entrypoint', 'must be a string or a list of strings'],
  ['command: 42', 'command', 'must be a string or a list of strings'],
  ['command: [run, [x]]', 'command[1]', 'must be a string'],
  ['environment: [{x: 1}]', 'environment[0]', 'must be a KEY=value string'],
  ['environment: {A: {x: 1}}', 'environment.A', 'must be a string, a number, true, false or empty'],
  ['cap_drop: ALL', 'cap_drop', 'must be a list of strings'],
  ['cap_add: CHOWN', 'cap_add', 'must be a list of strings'],
  ['read_only: "yes"', 'read_only', 'must be true or false'],
  ['depends_on: 7', 'depends_on', 'must be a list of service names or a mapping of them'],
  ['volumes: [42]', 'volumes[0]', 'must be a string SOURCE:TARGET or a mapping'],
  ['ports: "8080:80"', 'ports', 'must be a list'],
  ['user: [1000]', 'user', 'must be a string or a number'],
]

describe('compose keys of the wrong type', () => {
  it.each(CASES)('refuses a main service with %s', async (line, key, rule) => {
    const app = await importServices(`  web:\n    image: ${IMAGE}\n    ${line}\n`)
    expect(app.status).toBe('refused')
    expect(app.refusals.map(formatNote)).toEqual([`service web, ${key}: ${rule}`])
  })

  it.each(CASES)('leaves out a side service with %s, for a decision', async (line, key, rule) => {
    const web = `  web:\n    image: ${IMAGE}\n`
    const app = await importServices(`${web}  side:\n    image: ${IMAGE}\n    ${line}\n`)
    expect(app.status).toBe('converted')
    expect(app.decisions.map(formatNote)).toEqual([
      `service side, ${key}: ${rule}; service side is left out`,
    ])
    expect(app.manifests.map((manifest) => manifest.file)).toEqual(['demo/manifest.yml'])
  })

  it('accepts every shape Compose allows', async () => {
    const app = await importServices(
      `  web:\n    image: ${IMAGE}\n    command: run --fast\n    entrypoint: [/bin/sh, -c]\n` +
        '    environment: {A: 1, B: true, C: text, D: null}\n    cap_drop: [ALL]\n' +
        '    read_only: true\n    user: 1000\n    ports: ["8080:8080", 9000]\n' +
        '    depends_on: {db: {condition: service_started}}\n' +
        `  db:\n    image: ${IMAGE}\n    environment: [X=1, Y]\n    depends_on: []\n`,
    )
    expect(app.refusals).toEqual([])
    expect(app.decisions).toEqual([])
    expect(app.status).toBe('converted')
  })
})
