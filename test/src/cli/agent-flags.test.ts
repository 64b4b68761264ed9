// `archy agent` flag checks: a bad value is a usage error (exit 2) naming the flag, before the
// agent opens its state.
import { describe, expect, it } from 'vitest'

import { runCli } from '../../support/cli.js'

const STATE = ['--state', '/nonexistent/archy-state-never-made']

describe('archy agent flags', () => {
  it.each([
    [['agent', 'add-registry', 'notaurl'], /URL: "notaurl" is not a URL/],
    [['agent', 'add-registry', 'ftp://x'], /URL: "ftp:\/\/x" must be an http or https URL/],
    [['agent', 'add-registry', 'http://x/?a=1'], /URL: "http:\/\/x\/\?a=1" must have no query/],
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

  const ID_RULE =
    /^archy: APP: "Bad_Id" is not a lowercase kebab-case DNS label .*\(see archy --help\)$/
  it.each(['install', 'uninstall', 'stop', 'start', 'restart', 'reconcile'])(
    'agent %s Bad_Id exits 2 naming the id rule',
    async (verb) => {
      const run = await runCli(['agent', verb, 'Bad_Id', ...STATE])
      expect(run.code).toBe(2)
      expect(run.err).toMatch(ID_RULE)
    },
  )

  it.each(['uninstall', 'stop', 'start', 'restart', 'reconcile'])(
    'agent %s takes an installed app by its id alone, not id@did',
    async (verb) => {
      const did = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'
      const run = await runCli(['agent', verb, `hello-web@${did}`, ...STATE])
      expect(run.code).toBe(2)
      expect(run.err).toBe(
        'archy: APP: an installed app is named by its id alone ("hello-web"), not id@did ' +
          '(see archy --help)',
      )
    },
  )

  it.each([
    'http://alice:s3cret@127.0.0.1:7777',
    'https://alice@127.0.0.1:7777/reg',
    'ftp://alice:s3cret@127.0.0.1',
    'http://alice:s3cret@[::1',
    'alice:s3cret@127.0.0.1',
  ])('refuses %s without showing its user name or password', async (url) => {
    const run = await runCli(['agent', 'add-registry', url, ...STATE])
    expect(run.code).toBe(2)
    expect(run.err).toMatch(/^archy: URL: (must not contain a user name or password|"[^"]*\*\*\*@)/)
    expect(run.err).not.toMatch(/alice|s3cret/)
  })
})
