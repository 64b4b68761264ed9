// `archy app render --out`: a directory that cannot be made or written is named by the flag,
// with the reason, never as a raw errno line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { runCli } from '../../support/cli.js'

const root = mkdtempSync(join(tmpdir(), 'archy-render-out-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const manifest = join(root, 'manifest.yml')
writeFileSync(
  manifest,
  `app:
  id: plain-app
  name: Plain
  version: 1.0.0
  container:
    image: registry.example/plain:1.0.0
`,
)
const file = join(root, 'a-file')
writeFileSync(file, 'keep me\n')

describe('archy app render --out', () => {
  it('writes the units into a directory it makes', async () => {
    const run = await runCli(['app', 'render', manifest, '--out', join(root, 'units', 'deep')])
    expect(run.code).toBe(0)
    expect(run.out.split('\n')).toContain(join(root, 'units', 'deep', 'plain-app.container'))
  })

  it.each<[string, string]>([
    [file, `--out: ${file} exists and is not a directory`],
    [
      join(file, 'units'),
      `--out: cannot create ${join(file, 'units')}: ${file} exists and is not a directory`,
    ],
    [
      '/proc/archy-units',
      '--out: cannot create /proc/archy-units: /proc is on proc, a kernel pseudo-file system, not storage',
    ],
  ])('refuses --out %s naming the flag and the reason', { timeout: 5000 }, async (out, message) => {
    const run = await runCli(['app', 'render', manifest, '--out', out])
    expect(run.code).toBe(1)
    expect(run.err).toBe(`archy: ${message}`)
  })
})
