// The `archy` entry point: --help lists every command, and usage errors (unknown command,
// missing verb or argument, repeated or bad option) exit 2 with a one-line message.
import { describe, expect, it } from 'vitest'

import { runCli } from '../../support/cli.js'

const COMMANDS = [
  'keys new',
  'keys import',
  'keys show',
  'app sign',
  'app validate',
  'app schema',
  'app render',
  'proof verify',
  'blob hash',
  'publish',
  'node run',
  'agent add-registry',
  'agent install',
  'agent status',
  'agent start',
  'agent stop',
  'agent restart',
  'agent reconcile',
  'agent uninstall',
]

describe('archy --help', () => {
  it('lists every command', async () => {
    const run = await runCli(['--help'])
    expect(run.code).toBe(0)
    for (const command of COMMANDS) expect(run.out).toContain(`  ${command}`)
  })

  it("prints a command's options with --help", async () => {
    const run = await runCli(['publish', '--help'])
    expect(run.code).toBe(0)
    expect(run.out).toMatch(/--registry URL/)
  })

  it.each([
    [[], 2, /Usage: archy/],
    [['frob'], 2, /unknown command "frob"/],
    [['keys'], 2, /"keys" needs a verb: new, import, show/],
    [['blob', 'hash'], 2, /"blob hash" needs FILE/],
    [['blob', 'hash', 'a', 'b'], 2, /takes at most 1 argument \(see/],
    [['keys', 'show', '--key', 'a', '--key', 'b'], 2, /--key is given more than once/],
    [['node', 'run', '--port', '-1'], 2, /--port needs a value; .* as --port=VALUE/],
    [['node', 'run', '--port'], 2, /^archy: --port needs a value \(see archy node run --help\)$/],
  ])('archy %j exits %i', async (args, code, message) => {
    const run = await runCli(args)
    expect(run.code).toBe(code)
    expect(run.out + run.err).toMatch(message)
  })

  it.each<[string[], string]>([
    [
      ['keys', 'new', '--out', 'k', '--bogus'],
      'archy: unknown option --bogus (see archy keys new --help)',
    ],
    [
      ['blob', 'hash', 'f', '--bogus=1'],
      'archy: unknown option --bogus (see archy blob hash --help)',
    ],
    [['blob', 'hash', '-x', 'f'], 'archy: unknown option -x (see archy blob hash --help)'],
    [
      ['blob', 'hash', 'f', '--json=yes'],
      'archy: --json takes no value (see archy blob hash --help)',
    ],
    [
      ['blob', 'hash', 'a', 'b'],
      'archy: "blob hash" takes at most 1 argument (see archy blob hash --help)',
    ],
    [['keys', 'new'], 'archy: --out is required (see archy --help)'],
    [['frob'], 'archy: unknown command "frob" (see archy --help)'],
  ])('archy %j prints one line in its own words and exits 2', async (args, line) => {
    const run = await runCli(args)
    expect(run.code).toBe(2)
    expect(run.err).toBe(line)
  })
})
