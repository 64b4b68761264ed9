// Numbers past what a manifest can mean: an infinite number (1e400 in YAML) and a size above
// 1 PiB. One row each, good and bad input, exact path and message.
import { describe, expect, it } from 'vitest'

import { validateManifest } from '../../../src/manifest/validate.js'
import { editDocument, errorsOf } from './fixtures.js'
import type { RawApp } from './fixtures.js'

const rows: {
  rule: string
  good: (app: RawApp) => void
  bad: (app: RawApp) => void
  path: string
  message: string
}[] = [
  {
    rule: 'a port is a finite number',
    good: (app) => (app.ports = [{ host: 18080, container: 80 }]),
    bad: (app) => (app.ports = [{ host: Number.POSITIVE_INFINITY, container: 80 }]),
    path: 'app.ports[0].host',
    message: 'the number is too large (it is not finite)',
  },
  {
    rule: 'a memory limit is at most 1 PiB',
    good: (app) => (app.resources = { memory_limit: '1024Ti' }),
    bad: (app) => (app.resources = { memory_limit: '99999999999999999Gi' }),
    path: 'app.resources.memory_limit',
    message: '"99999999999999999Gi" is larger than 1 PiB',
  },
]

describe('validateManifest rules: number limits', () => {
  it.each(rows)('keeps "$rule" for good input', ({ good }) => {
    expect(errorsOf(validateManifest(editDocument(good)).problems)).toEqual([])
  })

  it.each(rows)('reports "$rule" at $path', ({ bad, path, message }) => {
    const check = validateManifest(editDocument(bad))
    expect(errorsOf(check.problems)).toEqual([{ severity: 'error', path, message }])
  })
})
