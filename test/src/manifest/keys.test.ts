// Unknown keys (warnings with the nearest known key, errors with strict) and refused
// keys found at any depth, including inside keys the schema does not know.
import { describe, expect, it } from 'vitest'

import { validateManifest } from '../../../src/manifest/validate.js'
import { editDocument, errorsOf, warningsOf } from './fixtures.js'

describe('validateManifest unknown keys', () => {
  it.each([
    [
      'app',
      'helth_check',
      'app.helth_check',
      'unknown key "helth_check"; did you mean "health_check"?',
    ],
    ['app', 'Ports', 'app.Ports', 'unknown key "Ports"; did you mean "ports"?'],
    [
      'container',
      'entry_point',
      'app.container.entry_point',
      'unknown key "entry_point"; did you mean "entrypoint"?',
    ],
    ['container', 'restart', 'app.container.restart', 'unknown key "restart"'],
  ])('warns about an unknown key under %s', (where, key, path, message) => {
    const document = editDocument((app) => {
      const owner = where === 'app' ? app : app.container
      owner[key] = 'x'
    })
    const check = validateManifest(document)
    expect(check.problems).toEqual([{ severity: 'warning', path, message }])
    expect(check.manifest).toBeDefined()
  })

  it('walks into lists, unions and records', () => {
    const document = editDocument((app) => {
      ;(app.ports as Record<string, unknown>[])[0]!.hostport = 1
      ;(app.volumes as Record<string, unknown>[])[0]!.readonly = true
      app.dependencies = [{ app_id: 'db', verison: '1' }]
      app.health_check = { type: 'tcp', port: 80, retry: 2 }
      app.hooks = { post_install: [{ exec: { command: ['true'], user: 'root' } }] }
      app.interfaces = { main: { name: 'UI', port: 80, pth: '/' } }
    })
    expect(warningsOf(validateManifest(document).problems)).toEqual([
      {
        severity: 'warning',
        path: 'app.ports[0].hostport',
        message: 'unknown key "hostport"; did you mean "host"?',
      },
      { severity: 'warning', path: 'app.volumes[0].readonly', message: 'unknown key "readonly"' },
      {
        severity: 'warning',
        path: 'app.dependencies[0].app_id',
        message: 'depends on app "db", which is not among the manifests given',
      },
      {
        severity: 'warning',
        path: 'app.dependencies[0].verison',
        message: 'unknown key "verison"; did you mean "version"?',
      },
      {
        severity: 'warning',
        path: 'app.health_check.retry',
        message: 'unknown key "retry"; did you mean "retries"?',
      },
      {
        severity: 'warning',
        path: 'app.hooks.post_install[0].exec.user',
        message: 'unknown key "user"',
      },
      {
        severity: 'warning',
        path: 'app.interfaces.main.pth',
        message: 'unknown key "pth"; did you mean "path"?',
      },
    ])
  })

  it('makes unknown keys errors with strict', () => {
    const document = editDocument((app) => (app.helth_check = {}))
    const check = validateManifest(document, { strict: true })
    expect(check.problems).toEqual([
      {
        severity: 'error',
        path: 'app.helth_check',
        message: 'unknown key "helth_check"; did you mean "health_check"?',
      },
    ])
    expect(check.manifest).toBeUndefined()
  })

  it('leaves metadata and upstream free-form', () => {
    const document = editDocument((app) => {
      app.metadata = { author: 'x', anything: { nested: true } }
      app.upstream = { kind: 'github', repo: 'a/b' }
    })
    expect(validateManifest(document, { strict: true }).problems).toEqual([])
  })
})

describe('validateManifest refused keys', () => {
  it('refuses them at any depth, also under unknown keys, and does not call them unknown', () => {
    const document = editDocument((app) => {
      app.compose = { services: { web: { privileged: false, network_mode: 'host' } } }
      app.metadata = { pid: 'host' }
    })
    const check = validateManifest(document)
    expect(errorsOf(check.problems)).toEqual([
      {
        severity: 'error',
        path: 'app.compose.services.web.privileged',
        message: 'privileged containers are refused: rootless Podman only',
      },
      {
        severity: 'error',
        path: 'app.compose.services.web.network_mode',
        message: 'network "host" is refused: apps never share the host network',
      },
      {
        severity: 'error',
        path: 'app.metadata.pid',
        message: 'sharing a PID namespace is refused',
      },
    ])
    expect(warningsOf(check.problems)).toEqual([
      { severity: 'warning', path: 'app.compose', message: 'unknown key "compose"' },
    ])
  })
})
