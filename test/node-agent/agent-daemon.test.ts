// The agent daemon's local API: a 0600 socket in the 0700 state directory, operations checked
// before they run, the CLI going through the daemon while it holds the state lock, and the CLI
// working alone again once the daemon is gone (even past a leftover socket file).
import { spawnSync } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { request } from 'node:http'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { askDaemon } from '../../node-agent/agent-client.js'
import { startAgentDaemon, type AgentDaemon } from '../../node-agent/agent-daemon.js'
import { createStubExec, type StubExec } from '../../node-agent/exec.js'
import { createLogger } from '../../src/log.js'
import { runCli } from '../support/cli.js'
import { useAgentTestBed } from './agent-test-registry.js'

const bed = useAgentTestBed('agent-daemon-')
let daemon: AgentDaemon | undefined
let stub: StubExec
let state: string

/** The probes a daemon makes at start: linger, the Podman version, the user manager. */
function startupProbes(linger: string): StubExec {
  return createStubExec([
    {
      command: 'loginctl',
      args: (args) => args[0] === 'show-user' && args.includes('--property=Linger'),
      result: { stdout: `${linger}\n` },
    },
    {
      command: 'podman',
      args: ['version', '--format', '{{.Client.Version}}'],
      result: { stdout: '4.3.1\n' },
    },
  ])
}

beforeEach(async () => {
  state = path.join(bed.dir, 'state')
  stub = startupProbes('no')
  daemon = await startAgentDaemon({
    state,
    dataRoot: path.join(bed.dir, 'apps'),
    hostIp: '192.0.2.10',
    exec: stub,
    logger: createLogger('agent-test', 'silent'),
    intervalMs: 3_600_000,
  })
})
afterEach(async () => {
  await daemon?.stop()
  daemon = undefined
})

function post(socket: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const sent = request({ socketPath: socket, path: '/v1/operations', method: 'POST' }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
    })
    sent.on('error', reject)
    sent.end(body)
  })
}

describe('agent daemon', () => {
  it('listens on a 0600 socket inside the 0700 state directory', async () => {
    expect(daemon!.socket).toBe(path.join(state, 'agent.sock'))
    const socket = await stat(daemon!.socket)
    expect(socket.isSocket()).toBe(true)
    expect(socket.mode & 0o777).toBe(0o600)
    expect((await stat(state)).mode & 0o777).toBe(0o700)
    stub.assertAllUsed()
  })

  it('answers operations, and refuses a malformed one naming the field', async () => {
    const answer = await askDaemon(daemon!.socket, { op: 'status' })
    expect(answer).toMatchObject({ answered: true, result: { apps: [], stateDir: state } })

    const unknown = await post(daemon!.socket, JSON.stringify({ op: 'format-disk' }))
    expect(unknown.status).toBe(400)
    expect(JSON.parse(unknown.text).error.message).toMatch(/^op: must be one of add-registry/)
    const badPurge = await post(daemon!.socket, JSON.stringify({ op: 'uninstall', app: 'x' }))
    expect(JSON.parse(badPurge.text).error.message).toMatch(/^purge: uninstall needs purge/)
    const notJson = await post(daemon!.socket, '{')
    expect(notJson.status).toBe(400)
  })

  it('serves the CLI while it holds the state lock, errors included', async () => {
    // The daemon holds the lock: a CLI working alone would wait for it and fail as locked.
    const status = await runCli(['agent', 'status', '--state', state, '--json'])
    expect(status.code, status.err).toBe(0)
    expect(JSON.parse(status.out)).toMatchObject({ apps: [], registries: [] })

    const pin = await runCli(['agent', 'pin', 'nothing-here', '--state', state])
    expect(pin.code).toBe(1)
    expect(pin.err).toMatch(/nothing-here is not installed on this node/)

    const other = await runCli(['agent', 'status', '--state', state, '--data-root', '/elsewhere'])
    expect(other.code).toBe(1)
    expect(other.err).toMatch(/--data-root: the running agent \(archy agent run\) uses /)
  })

  it('lets the CLI work alone once stopped, past a leftover socket file', async () => {
    await daemon!.stop()
    daemon = undefined
    await expect(stat(path.join(state, 'agent.sock'))).rejects.toThrow(/ENOENT/)

    // A socket file nobody listens on, as a daemon killed with SIGKILL leaves.
    const socket = path.join(state, 'agent.sock')
    const bind = `import socket; s = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(socket)})`
    expect(spawnSync('python3', ['-c', bind]).status).toBe(0)
    expect(await askDaemon(socket, { op: 'status' })).toEqual({ answered: false })
    const status = await runCli(['agent', 'status', '--state', state, '--json'])
    expect(status.code, status.err).toBe(0)
  })
})

describe('archy agent run', () => {
  it('refuses an unknown --log-level as a usage error naming the allowed levels', async () => {
    const run = await runCli(['agent', 'run', '--state', state, '--log-level', 'loud'])
    expect(run.code).toBe(2)
    expect(run.err).toMatch(/--log-level: "loud" must be one of fatal, error, warn, info, debug/)
  })
})

describe('checkLinger', () => {
  it('warns with the fix when linger is off, and says nothing when it is on', async () => {
    const { checkLinger } = await import('../../node-agent/linger.js')
    const off = createStubExec([
      { command: 'loginctl', args: () => true, result: { stdout: 'no\n' } },
    ])
    expect(await checkLinger(off)).toMatch(/linger is off for .*sudo loginctl enable-linger /)
    const on = createStubExec([
      { command: 'loginctl', args: () => true, result: { stdout: 'yes' } },
    ])
    expect(await checkLinger(on)).toBeUndefined()
    const failing = createStubExec([
      { command: 'loginctl', args: () => true, result: { exitCode: 1, stderr: 'no logind' } },
    ])
    expect(await checkLinger(failing)).toMatch(/cannot tell whether linger is on/)
  })
})
