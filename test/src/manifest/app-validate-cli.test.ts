// `archy app validate` and `archy app schema` through main(), with a capturing io: exit
// codes, output lines, --json, --strict, unreadable files and YAML syntax errors.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { main } from '../../../src/cli/main.js'
import { copyExampleApp } from '../../support/example-apps.js'

async function runCli(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(argv, { out: (text) => out.push(text), err: (text) => err.push(text) })
  return { code, out, err }
}

// Copies with stand-in image archives: validate checks that `file:` names a file.
const HELLO = join(copyExampleApp('hello-web'), 'manifest.yml')
const NOTES = copyExampleApp('notes')
const NOTES_WEB = join(NOTES, 'manifest.yml')
const NOTES_API = join(NOTES, 'notes-api.manifest.yml')
const BROKEN = 'examples/apps/broken/manifest.yml'

describe('archy app validate', () => {
  let dir = ''
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'archy-validate-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('exits 0 and prints no problem line for valid files', async () => {
    const result = await runCli(['app', 'validate', HELLO, NOTES_WEB, NOTES_API])
    expect(result.code).toBe(0)
    expect(result.out).toEqual([`${HELLO}: valid`, `${NOTES_WEB}: valid`, `${NOTES_API}: valid`])
    expect(result.err).toEqual([])
  })

  it('exits 0 with a warning line for a dependency not given', async () => {
    const result = await runCli(['app', 'validate', NOTES_WEB])
    expect(result.code).toBe(0)
    expect(result.out).toEqual([
      `${NOTES_WEB}: warning: app.dependencies[0].app_id: depends on app ` +
        `"notes-api", which is not among the manifests given`,
      `${NOTES_WEB}: valid`,
    ])
  })

  it('exits 1 and prints one line per problem, FILE: path: message', async () => {
    const result = await runCli(['app', 'validate', HELLO, BROKEN])
    expect(result.code).toBe(1)
    expect(result.out).toHaveLength(10)
    expect(result.out[0]).toBe(`${HELLO}: valid`)
    expect(result.out[1]).toBe(
      `${BROKEN}: app.container.image: "example/media-box:latest" is not pinned: ` +
        `"latest" is refused, use a version tag or an @sha256 digest`,
    )
    expect(result.out).toContain(
      `${BROKEN}: app.ports[0].host: port 80 is below 1024 and rootless Podman cannot bind it`,
    )
    expect(result.out[9]).toBe(
      `${BROKEN}: warning: app.helth_check: unknown key "helth_check"; did you mean ` +
        `"health_check"?`,
    )
  })

  it('makes unknown keys errors with --strict', async () => {
    const file = join(dir, 'typo.yml')
    await writeFile(
      file,
      'app:\n  id: typo\n  name: T\n  version: 1.0.0\n' +
        '  container: { image: "a:1" }\n  helth_check: {}\n',
    )
    const lenient = await runCli(['app', 'validate', file])
    expect(lenient.code).toBe(0)
    const strict = await runCli(['app', 'validate', '--strict', file])
    expect(strict.code).toBe(1)
    expect(strict.out).toEqual([
      `${file}: app.helth_check: unknown key "helth_check"; did you mean "health_check"?`,
    ])
  })

  it('reports an unreadable file and a YAML syntax error as problem lines', async () => {
    const missing = join(dir, 'missing.yml')
    const bad = join(dir, 'bad.yml')
    await writeFile(bad, 'app:\n  id: [a\n')
    const result = await runCli(['app', 'validate', missing, bad, HELLO])
    expect(result.code).toBe(1)
    expect(result.out).toEqual([
      `${missing}: cannot read the manifest (ENOENT)`,
      `${bad}: YAML syntax error at line 3, column 1: Flow sequence in block ` +
        `collection must be sufficiently indented and end with a ]`,
      `${HELLO}: valid`,
    ])
  })

  it('reports a file: image or hook source that names no file next to the manifest', async () => {
    const manifest = join(dir, 'refs.yml')
    const app = [
      'app:',
      '  id: refs',
      '  name: Refs',
      '  version: 1.0.0',
      '  container: { image: "file:nope.tar" }',
      '  hooks:',
      '    post_install:',
      '      - copy_from_host: { src: web/x.js, dest: /srv/x.js }',
      '      - copy_from_host: { src: refs.yml, dest: /srv/refs.yml }',
    ]
    await writeFile(manifest, app.join('\n') + '\n')
    const result = await runCli(['app', 'validate', manifest])
    expect(result.code).toBe(1)
    expect(result.out).toEqual([
      `${manifest}: app.container.image: "nope.tar" names no file (looked for ${dir}/nope.tar)`,
      `${manifest}: app.hooks.post_install[0].copy_from_host.src: "web/x.js" names no file ` +
        `(looked for ${dir}/web/x.js)`,
    ])
  })

  it('prints { files: [...] } with --json', async () => {
    const result = await runCli(['app', 'validate', '--json', HELLO, BROKEN])
    expect(result.code).toBe(1)
    const report = JSON.parse(result.out.join('\n')) as {
      files: { file: string; valid: boolean; problems: unknown[] }[]
    }
    expect(report.files.map((file) => [file.file, file.valid, file.problems.length])).toEqual([
      [HELLO, true, 0],
      [BROKEN, false, 9],
    ])
    expect(report.files[1]?.problems[0]).toEqual({
      severity: 'error',
      path: 'app.container.image',
      message:
        '"example/media-box:latest" is not pinned: "latest" is refused, use a ' +
        'version tag or an @sha256 digest',
    })
  })

  it('exits 2 without a file or with an unknown option', async () => {
    expect((await runCli(['app', 'validate'])).code).toBe(2)
    const unknown = await runCli(['app', 'validate', '--nope', HELLO])
    expect(unknown.code).toBe(2)
    expect(unknown.err[0]).toMatch(/^archy: .*--nope/)
  })
})

describe('archy app schema', () => {
  it('prints the JSON Schema and exits 0', async () => {
    const result = await runCli(['app', 'schema'])
    expect(result.code).toBe(0)
    const schema = JSON.parse(result.out.join('\n')) as Record<string, unknown>
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema')
    expect(schema.required).toEqual(['app'])
  })
})
