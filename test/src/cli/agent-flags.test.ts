// `archy agent` flag checks: a bad value is a usage error (exit 2) naming the flag, before the
// agent opens its state.
import { describe, expect, it } from 'vitest'

import { runCli } from '../../support/cli.js'

const STATE = ['--state', '/nonexistent/archy-state-never-made']

describe('archy agent flags', () => {
  it.each([
    [['agent', 'add-registry', 'notaurl'], /"notaurl" is not a registry URL/],
    [['agent', 'add-registry', 'ftp://x'], /is not a registry URL/],
    [
      ['agent', 'add-registry', 'http://127.0.0.1:1', '--did', 'did:web:x'],
      /--did: .* not an Ed25519/,
    ],
    [
      ['agent', 'install', 'x', '--mode', 'bogus'],
      /--mode: "bogus" must be auto, quadlet or podman/,
    ],
    [['agent', 'status', '--host-ip', '999.1.1.1'], /--host-ip: "999.1.1.1" is not an IPv4/],
    [['agent', 'status', '--data-root', ''], /--data-root: must not be empty/],
  ])('%j exits 2', async (args, message) => {
    const run = await runCli([...args, ...STATE])
    expect(run.code).toBe(2)
    expect(run.err).toMatch(message)
  })
})
