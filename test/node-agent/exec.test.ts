// Tests for the exec seam: real processes for timeouts, exit codes and redaction; the stub for
// the rules unit tests rely on (unexpected calls throw, unused expectations fail).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createStubExec, execCommand } from '../../node-agent/exec.js'
import { ExecError } from '../../src/errors.js'

const scratch = mkdtempSync(join(tmpdir(), 'archy-exec-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

async function catchError(promise: Promise<unknown>): Promise<ExecError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  if (!(error instanceof ExecError)) throw new Error(`expected an ExecError, got ${String(error)}`)
  return error
}

// A killed process whose parent is gone may linger as a zombie until PID 1 reaps it.
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

describe('execCommand', () => {
  it('returns stdout, stderr, the exit code and the duration', async () => {
    const result = await execCommand('sh', ['-c', 'echo out; echo err >&2'])
    expect(result).toMatchObject({ stdout: 'out\n', stderr: 'err\n', exitCode: 0 })
    expect(result.durationMs).toBeGreaterThanOrEqual(0)
  })

  it('passes input on stdin, extra environment and the working directory', async () => {
    const result = await execCommand('sh', ['-c', 'cat; echo "$GREETING"; pwd'], {
      input: 'from stdin\n',
      env: { GREETING: 'hello' },
      cwd: scratch,
    })
    expect(result.stdout).toBe(`from stdin\nhello\n${scratch}\n`)
  })

  it('throws exec-failed naming the command, exit code and stderr tail', async () => {
    const error = await catchError(execCommand('sh', ['-c', 'echo broken thing >&2; exit 3']))
    expect(error.code).toBe('exec-failed')
    expect(error.exitCode).toBe(3)
    expect(error.command).toBe('sh')
    expect(error.stderr).toBe('broken thing')
    expect(error.message).toContain('sh -c')
    expect(error.message).toContain('exited with 3: broken thing')
  })

  it('returns a failing result when allowFailure is set', async () => {
    const result = await execCommand('sh', ['-c', 'exit 4'], { allowFailure: true })
    expect(result.exitCode).toBe(4)
  })

  it('throws exec-missing for a binary that does not exist', async () => {
    const error = await catchError(execCommand('archy-no-such-binary', ['x']))
    expect(error.code).toBe('exec-missing')
    expect(error.message).toBe('archy-no-such-binary x: not found')
  })

  it('kills the whole process group on timeout', async () => {
    const pidFile = join(scratch, 'grandchild.pid')
    const started = Date.now()
    const error = await catchError(
      execCommand('sh', ['-c', `sleep 30 & echo $! > ${pidFile}; wait`], { timeoutMs: 300 }),
    )
    expect(error.code).toBe('exec-timeout')
    expect(error.message).toContain('timed out after 300 ms')
    expect(Date.now() - started).toBeLessThan(5_000)
    const grandchild = Number(readFileSync(pidFile, 'utf8'))
    expect(isAlive(grandchild)).toBe(false)
  })

  it('sends SIGKILL when SIGTERM is ignored', async () => {
    const started = Date.now()
    const error = await catchError(
      execCommand('sh', ['-c', 'trap "" TERM; sleep 30'], { timeoutMs: 200 }),
    )
    expect(error.code).toBe('exec-timeout')
    expect(Date.now() - started).toBeLessThan(8_000)
  })

  it('never shows redacted strings or environment values in errors', async () => {
    const script = 'echo "token=$TOKEN" >&2; echo "pw=s3cret-pass" >&2; exit 1'
    const error = await catchError(
      execCommand('sh', ['-c', script, 'arg-s3cret-pass'], {
        env: { TOKEN: 'tok-123456789' },
        redact: ['s3cret-pass'],
      }),
    )
    const shown = `${error.message}\n${error.stderr}`
    expect(shown).not.toContain('tok-123456789')
    expect(shown).not.toContain('s3cret-pass')
    expect(error.stderr).toContain('token=***')
    expect(error.message).toContain('arg-***')
  })
})

describe('createStubExec', () => {
  it('answers expected calls in order and records them', async () => {
    const exec = createStubExec([
      { command: 'podman', args: ['version'], result: { stdout: '4.3.1\n' } },
      { command: 'podman', args: (args) => args[0] === 'ps', result: { stdout: '[]' }, times: 2 },
    ])
    expect((await exec('podman', ['version'])).stdout).toBe('4.3.1\n')
    await exec('podman', ['ps', '-a'])
    await exec('podman', ['ps'])
    expect(exec.calls.map((call) => call.args.join(' '))).toEqual(['version', 'ps -a', 'ps'])
    exec.assertAllUsed()
  })

  it('throws on a call nobody stubbed', async () => {
    const exec = createStubExec([{ command: 'podman', args: ['version'] }])
    const error = await catchError(exec('podman', ['info']))
    expect(error.message).toBe('unexpected call: podman info')
  })

  it('throws on a call beyond the expected number of times', async () => {
    const exec = createStubExec([{ command: 'podman', args: ['version'] }])
    await exec('podman', ['version'])
    await expect(exec('podman', ['version'])).rejects.toThrow('unexpected call')
  })

  it('fails assertAllUsed when an expectation was never used', () => {
    const exec = createStubExec([{ command: 'podman', args: ['rm', '-f', 'web'] }])
    expect(() => exec.assertAllUsed()).toThrow('expected calls never made: podman rm -f web')
  })

  it('throws exec-failed for a non-zero exit unless allowFailure is set', async () => {
    const exec = createStubExec([
      { command: 'podman', args: ['x'], result: { exitCode: 2, stderr: 'bad' }, times: 2 },
    ])
    const error = await catchError(exec('podman', ['x']))
    expect(error).toMatchObject({ code: 'exec-failed', exitCode: 2, stderr: 'bad' })
    expect((await exec('podman', ['x'], { allowFailure: true })).exitCode).toBe(2)
  })

  it('throws the configured error', async () => {
    const missing = new ExecError('exec-missing', 'podman', 'podman: not found')
    const exec = createStubExec([{ command: 'podman', args: ['version'], error: missing }])
    await expect(exec('podman', ['version'])).rejects.toBe(missing)
  })
})
