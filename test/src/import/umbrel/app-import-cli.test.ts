// `archy app import` through the CLI's main(): exit codes, where the report goes, and usage
// errors in the command's terms.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { runCli } from '../../../support/cli.js'
import { UMBREL_APPS } from '../../../support/umbrel-apps.js'

const root = mkdtempSync(path.join(tmpdir(), 'archy-import-cli-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const VAULTWARDEN = path.join(UMBREL_APPS, 'vaultwarden')

describe('archy app import umbrel', () => {
  it('exits 0 when every app converted and prints the report on standard output', async () => {
    const out = path.join(root, 'one')
    const result = await runCli(['app', 'import', 'umbrel', VAULTWARDEN, '--out', out])
    expect(result.code).toBe(0)
    expect(result.out).toMatch(/^vaultwarden: converted to vaultwarden\/manifest\.yml\n/)
    expect(result.out).toContain('\n1 converted, 0 refused, 0 elements needing a decision')
    const text = readFileSync(path.join(out, 'vaultwarden/manifest.yml'), 'utf8')
    expect(text).toMatch(/^# Imported from the Umbrel app vaultwarden/)
  })

  it('writes the report to --report and exits 1 when an app is refused', async () => {
    const out = path.join(root, 'refused')
    const report = path.join(root, 'refused-report.txt')
    const dir = path.join(UMBREL_APPS, 'home-assistant')
    const result = await runCli(['app', 'import', 'umbrel', dir, '--out', out, '--report', report])
    expect(result.code).toBe(1)
    expect(result.out).toBe('')
    expect(result.err).toBe(`report written to ${report}; 0 manifests under ${out}`)
    expect(readFileSync(report, 'utf8')).toMatch(/^home-assistant: refused\n {2}refused:\n/)
    expect(existsSync(path.join(out, 'home-assistant'))).toBe(false)
  })

  it.each([
    [['docker', VAULTWARDEN, '--out', 'x'], 'archy: "app import" takes a format first: umbrel'],
    [['umbrel', VAULTWARDEN], 'archy: "app import" needs --out DIR'],
    [['umbrel', VAULTWARDEN, '--out', 'x', '--id-prefix', 'Umb-'], 'archy: --id-prefix: "Umb-"'],
    [['umbrel', VAULTWARDEN, '--out', '/tmp/o', '--report', '/tmp/o/r.txt'],
      'archy: --report /tmp/o/r.txt is inside --out /tmp/o; write it elsewhere'],
    [['umbrel'], 'archy: "app import" needs umbrel DIR'],
  ])('refuses %j as a usage error', async (args, message) => {
    const result = await runCli(['app', 'import', ...args])
    expect(result.code).toBe(2)
    expect(result.err).toContain(message)
  }) // prettier-ignore

  it('refuses a --report reached through a symbolic link into --out', async () => {
    const out = path.join(root, 'linked-out')
    mkdirSync(out)
    const link = path.join(root, 'link-to-out')
    symlinkSync(out, link)
    const report = path.join(link, 'r.txt')
    const result = await runCli(['app', 'import', 'umbrel', VAULTWARDEN, '--out', out,
      '--report', report]) // prettier-ignore
    expect(result.code).toBe(2)
    expect(result.err).toContain(`archy: --report ${report} is inside --out ${out}`)
    expect(existsSync(path.join(out, 'vaultwarden'))).toBe(false)
  })

  it('fails on a --report it cannot write before it writes any manifest', async () => {
    const out = path.join(root, 'no-report')
    const report = path.join(root, 'no-such-folder', 'r.txt')
    const result = await runCli(['app', 'import', 'umbrel', VAULTWARDEN, '--out', out,
      '--report', report]) // prettier-ignore
    expect(result.code).toBe(1)
    expect(result.err).toBe(`archy: --report: cannot write ${report}: no such file or directory`)
    expect(existsSync(out)).toBe(false)
  })

  it('fails naming a directory that does not exist, or is a file', async () => {
    const missing = path.join(root, 'missing')
    const result = await runCli(['app', 'import', 'umbrel', missing, '--out', `${missing}-out`])
    expect(result.code).toBe(1)
    expect(result.err).toBe(`archy: ${missing}: does not exist`)
    const dangling = path.join(root, 'dangling-dir')
    symlinkSync(missing, dangling)
    const onLink = await runCli(['app', 'import', 'umbrel', dangling, '--out', `${missing}-out`])
    expect(onLink.err).toBe(
      `archy: ${dangling}: is a symbolic link to ${missing}, which does not exist`,
    )
    const file = path.join(UMBREL_APPS, 'SOURCE.md')
    const onFile = await runCli(['app', 'import', 'umbrel', file, '--out', `${missing}-out`])
    expect(onFile.err).toBe(`archy: ${file}: is not a directory of Umbrel apps`)
  })

  it('fails naming a directory that holds no app', async () => {
    const empty = path.join(root, 'no-apps')
    mkdirSync(path.join(empty, 'scripts'), { recursive: true })
    const result = await runCli(['app', 'import', 'umbrel', empty, '--out', path.join(root, 'x')])
    expect(result.code).toBe(1)
    expect(result.err).toBe(`archy: ${empty}: holds no umbrel-app.yml, nor any folder with one`)
  })
})

describe('archy app import umbrel into an output directory used before', () => {
  it('removes its own earlier manifests of an app, and leaves other files alone', async () => {
    const out = path.join(root, 'again')
    const folder = path.join(out, 'home-assistant')
    mkdirSync(folder, { recursive: true })
    const stale = path.join(folder, 'manifest.yml')
    writeFileSync(
      stale,
      '# Imported from the Umbrel app home-assistant (an earlier run)\napp: {}\n',
    )
    const notes = path.join(folder, 'notes.yml')
    writeFileSync(notes, 'mine: true\n')
    const dir = path.join(UMBREL_APPS, 'home-assistant')
    expect((await runCli(['app', 'import', 'umbrel', dir, '--out', out])).code).toBe(1)
    expect(existsSync(stale)).toBe(false)
    expect(readFileSync(notes, 'utf8')).toBe('mine: true\n')
  })

  it('refuses an app whose manifest.yml there is not its own, leaving the file', async () => {
    const out = path.join(root, 'theirs')
    const mine = path.join(out, 'vaultwarden/manifest.yml')
    mkdirSync(path.dirname(mine), { recursive: true })
    writeFileSync(mine, 'app: {id: mine}\n')
    const result = await runCli(['app', 'import', 'umbrel', VAULTWARDEN, '--out', out])
    expect(result.code).toBe(1)
    expect(readFileSync(mine, 'utf8')).toBe('app: {id: mine}\n')
    expect(result.out).toMatch(/^vaultwarden: refused\n {2}refused:\n/)
    expect(result.out).toContain(
      `- vaultwarden/manifest.yml, file: ${mine} exists and was not written by an import`,
    )
    expect(result.out).toContain('\n0 converted, 1 refused')
  })

  it('refuses an app whose folder in --out is a link, writing nothing through it', async () => {
    const out = path.join(root, 'linked-folder')
    const elsewhere = path.join(root, 'elsewhere')
    mkdirSync(elsewhere)
    mkdirSync(out)
    symlinkSync(elsewhere, path.join(out, 'vaultwarden'))
    const result = await runCli(['app', 'import', 'umbrel', VAULTWARDEN, '--out', out])
    expect(result.code).toBe(1)
    expect(result.out).toContain(
      `- folder vaultwarden: ${path.join(out, 'vaultwarden')} is a link or a file, not a ` +
        'folder an import made; it is left alone',
    )
    expect(existsSync(path.join(elsewhere, 'manifest.yml'))).toBe(false)
  })
})
