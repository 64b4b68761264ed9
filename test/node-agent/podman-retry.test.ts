// Retries over the Podman driver (podman-retry.ts) through the stub exec seam, and the timeout
// setting (podman-timeout.ts): reads retried a bounded number of times, timeouts and runs never,
// except a run whose network vanished, which is made again first.
import { describe, expect, it } from 'vitest'

import { createStubExec, type ExecExpectation } from '../../node-agent/exec.js'
import { createPodman } from '../../node-agent/podman.js'
import { withPodmanRetries } from '../../node-agent/podman-retry.js'
import {
  DEFAULT_PODMAN_TIMEOUT_MS,
  PODMAN_TIMEOUT_ENV,
  readPodmanTimeout,
} from '../../node-agent/podman-timeout.js'
import { ExecError } from '../../src/errors.js'

const PS = ['ps', '-a', '--format', 'json']
const ID = 'a'.repeat(64)
const RUN = ['run', '-d', '--name', 'flt-web', '--network', 'flt-net', 'localhost/x:1']
const GONE = 'Error: unable to find network with name or ID flt-net: network not found'

function retrying(expectations: ExecExpectation[]) {
  const exec = createStubExec(expectations)
  return { exec, podman: withPodmanRetries(createPodman({ exec }), { delayMs: 0 }) }
}

describe('withPodmanRetries', () => {
  it('tries a failed listing again and returns the answer that came', async () => {
    const { exec, podman } = retrying([
      { command: 'podman', args: PS, result: { exitCode: 125, stderr: 'Error: busy' }, times: 2 },
      { command: 'podman', args: PS, result: { stdout: '[]' } },
    ])
    expect(await podman.listContainers()).toEqual([])
    expect(exec.calls).toHaveLength(3)
    exec.assertAllUsed()
  })

  it('throws the last failure after three attempts, saying so', async () => {
    const { exec, podman } = retrying([
      { command: 'podman', args: PS, result: { exitCode: 125, stderr: 'Error: busy' }, times: 3 },
    ])
    const error = await podman.listContainers().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ExecError)
    expect(error).toMatchObject({ code: 'exec-failed', exitCode: 125, command: 'podman' })
    expect((error as Error).message).toBe(
      'podman ps -a --format json: exited with 125: Error: busy (3 attempts)',
    )
    exec.assertAllUsed()
  })

  it.each([
    [
      'image exists',
      ['image', 'exists', 'x'],
      (p: ReturnType<typeof retrying>['podman']) => p.imageExists('x'),
    ],
    [
      'network exists',
      ['network', 'exists', 'n'],
      (p: ReturnType<typeof retrying>['podman']) => p.networkExists('n'),
    ],
    [
      'secret inspect',
      ['secret', 'inspect', 's'],
      (p: ReturnType<typeof retrying>['podman']) => p.secretExists('s'),
    ],
  ])('retries %s the same way', async (_name, args, call) => {
    const { exec, podman } = retrying([
      { command: 'podman', args, result: { exitCode: 125, stderr: 'Error: busy' } },
      { command: 'podman', args, result: { exitCode: 0 } },
    ])
    expect(await call(podman)).toBe(true)
    exec.assertAllUsed()
  })

  it('retries inspecting a restarting container whose process vanished mid-read', async () => {
    const args = ['container', 'inspect', '--format', '{{.RestartCount}} {{.State.Status}}', 'w']
    const vanished = 'Error: read /proc/10760/cgroup: no such process'
    const { exec, podman } = retrying([
      { command: 'podman', args, result: { exitCode: 125, stderr: vanished } },
      { command: 'podman', args, result: { stdout: '4 exited\n' } },
    ])
    expect(await podman.restartState('w')).toEqual({ state: 'exited', restarts: 4 })
    exec.assertAllUsed()
  })

  it('retries making a network, which is idempotent, as a whole', async () => {
    const { exec, podman } = retrying([
      {
        command: 'podman',
        args: ['network', 'exists', 'n'],
        result: { exitCode: 125, stderr: 'Error: busy' },
      },
      { command: 'podman', args: ['network', 'exists', 'n'], result: { exitCode: 1 } },
      { command: 'podman', args: ['network', 'create', 'n'] },
    ])
    await podman.createNetwork('n')
    exec.assertAllUsed()
  })

  it('never retries a timeout: it is thrown at once, naming the call', async () => {
    const timeout = new ExecError('exec-timeout', 'podman', 'podman ps: timed out after 500 ms')
    const { exec, podman } = retrying([{ command: 'podman', args: PS, error: timeout }])
    await expect(podman.listContainers()).rejects.toBe(timeout)
    expect(exec.calls).toHaveLength(1)
  })

  it('never retries a run that failed for another reason', async () => {
    const { exec, podman } = retrying([
      { command: 'podman', args: RUN, result: { exitCode: 126, stderr: 'Error: port in use' } },
    ])
    await expect(podman.run(RUN)).rejects.toThrow(/exited with 126: Error: port in use/)
    expect(exec.calls).toHaveLength(1)
  })

  it('makes a vanished network again and runs once more', async () => {
    const { exec, podman } = retrying([
      { command: 'podman', args: RUN, result: { exitCode: 125, stderr: GONE } },
      { command: 'podman', args: ['network', 'exists', 'flt-net'], result: { exitCode: 1 } },
      { command: 'podman', args: ['network', 'create', 'flt-net'] },
      { command: 'podman', args: RUN, result: { stdout: `${ID}\n` } },
    ])
    expect(await podman.run(RUN)).toBe(ID)
    expect(exec.calls.map((call) => call.args[0])).toEqual(['run', 'network', 'network', 'run'])
    exec.assertAllUsed()
  })

  it('runs only once more: a second vanished network is the error', async () => {
    const { exec, podman } = retrying([
      { command: 'podman', args: RUN, result: { exitCode: 125, stderr: GONE }, times: 2 },
      { command: 'podman', args: ['network', 'exists', 'flt-net'], result: { exitCode: 1 } },
      { command: 'podman', args: ['network', 'create', 'flt-net'] },
    ])
    await expect(podman.run(RUN)).rejects.toThrow(/unable to find network with name or ID flt-net/)
    exec.assertAllUsed()
  })

  it('does not make a network the run did not ask for', async () => {
    const other = 'Error: unable to find network with name or ID someone-else: network not found'
    const { exec, podman } = retrying([
      { command: 'podman', args: RUN, result: { exitCode: 125, stderr: other } },
    ])
    await expect(podman.run(RUN)).rejects.toThrow(/someone-else/)
    expect(exec.calls).toHaveLength(1)
  })
})

describe('readPodmanTimeout', () => {
  it('is 60 s when unset or empty', () => {
    expect(readPodmanTimeout({})).toBe(DEFAULT_PODMAN_TIMEOUT_MS)
    expect(readPodmanTimeout({ [PODMAN_TIMEOUT_ENV]: '' })).toBe(60_000)
  })

  it.each(['100', '1500', '3600000'])('takes %s', (value) => {
    expect(readPodmanTimeout({ [PODMAN_TIMEOUT_ENV]: value })).toBe(Number(value))
  })

  it.each(['99', '3600001', '1.5', '-5', ' 100', '1e3', 'soon', '0x10'])(
    'refuses %j, naming the key and the rule',
    (value) => {
      expect(() => readPodmanTimeout({ [PODMAN_TIMEOUT_ENV]: value })).toThrow(
        `ARCHY_PODMAN_TIMEOUT_MS: must be a whole number of milliseconds from 100 to 3600000, ` +
          `got "${value}"`,
      )
    },
  )

  it('cuts a long value in the error', () => {
    expect(() => readPodmanTimeout({ [PODMAN_TIMEOUT_ENV]: 'x'.repeat(100) })).toThrow(
      `got "${'x'.repeat(32)}..."`,
    )
  })
})
