// The one seam through which every external process (podman, systemctl, quadlet, runuser) runs:
// a timeout that kills the whole process group, errors that name the command but never a secret.
import { spawn } from 'node:child_process'
import { constants } from 'node:os'
import { ExecError } from '../src/errors.js'

export interface ExecOptions {
  timeoutMs?: number
  env?: Record<string, string>
  cwd?: string
  input?: string
  allowFailure?: boolean
  /** Strings that must never appear in errors or logs (secret values). */
  redact?: string[]
}

export interface ExecResult {
  stdout: string
  stderr: string
  exitCode: number
  durationMs: number
}

export type Exec = (command: string, args: string[], options?: ExecOptions) => Promise<ExecResult>

export const DEFAULT_EXEC_TIMEOUT_MS = 60_000
const KILL_GRACE_MS = 2_000
const STDERR_TAIL_CHARS = 400

// Fault injection for tests only: with ARCHY_TEST_KILL_AFTER_CALLS=N the process kills itself
// with SIGKILL once its Nth external call has ended, before the next begins (a crash between two
// Podman calls). Read once at start-up; unset, nothing here ever runs.
const killAfterCalls = Number(process.env.ARCHY_TEST_KILL_AFTER_CALLS ?? '0')
let callsEnded = 0

function countCallEnded(): void {
  callsEnded += 1
  if (Number.isInteger(killAfterCalls) && killAfterCalls > 0 && callsEnded === killAfterCalls) {
    process.kill(process.pid, 'SIGKILL')
  }
}

/** Runs a command to completion; throws ExecError on a missing binary, a timeout or exit != 0. */
export const execCommand: Exec = (command, args, options = {}) => {
  const timeoutMs = options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS
  const started = Date.now()

  return new Promise<ExecResult>((resolve, reject) => {
    // detached: the child leads its own process group, so a timeout can kill all of it.
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ? { ...process.env, ...options.env } : process.env,
      detached: true,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    let settled = false
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    if (options.input !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined)
      child.stdin.end(options.input)
    }

    let killTimer: NodeJS.Timeout | undefined
    const timer = setTimeout(() => {
      timedOut = true
      signalGroup(child.pid, 'SIGTERM')
      killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS)
    }, timeoutMs)

    const finish = (error: ExecError | undefined, result?: ExecResult): void => {
      if (settled) return
      settled = true
      countCallEnded()
      clearTimeout(timer)
      if (killTimer) clearTimeout(killTimer)
      if (error) reject(error)
      else if (result) resolve(result)
    }

    child.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code === 'ENOENT' ? 'exec-missing' : 'exec-failed'
      const reason = error.code === 'ENOENT' ? 'not found' : `could not start (${error.code})`
      finish(new ExecError(code, command, `${describeCommand(command, args, options)}: ${reason}`))
    })

    child.on('close', (code, signal) => {
      // A timed-out child may leave grandchildren; make sure the group is gone.
      if (timedOut) signalGroup(child.pid, 'SIGKILL')
      const exitCode = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)
      const durationMs = Date.now() - started
      const scrubbed = scrub(stderr, options)
      if (timedOut) {
        const described = describeCommand(command, args, options)
        const message = `${described}: timed out after ${timeoutMs} ms`
        return finish(
          new ExecError('exec-timeout', command, withTail(message, scrubbed), {
            exitCode,
            stderr: tail(scrubbed),
          }),
        )
      }
      if (exitCode !== 0 && !options.allowFailure) {
        const message = `${describeCommand(command, args, options)}: exited with ${exitCode}`
        return finish(
          new ExecError('exec-failed', command, withTail(message, scrubbed), {
            exitCode,
            stderr: tail(scrubbed),
          }),
        )
      }
      finish(undefined, { stdout, stderr, exitCode, durationMs })
    })
  })
}

/** The command line as errors show it: secrets and environment values replaced by `***`. */
export function describeCommand(
  command: string,
  args: string[],
  options: ExecOptions = {},
): string {
  const line = scrub([command, ...args].join(' '), options)
  return line.length > 160 ? `${line.slice(0, 157)}...` : line
}

/** Replaces every redacted string and every value passed in `env` with `***`. */
export function scrub(text: string, options: ExecOptions = {}): string {
  const secrets = [...(options.redact ?? []), ...Object.values(options.env ?? {})]
    .filter((secret) => secret.length > 0)
    .sort((a, b) => b.length - a.length)
  let result = text
  for (const secret of secrets) result = result.split(secret).join('***')
  return result
}

function tail(text: string): string {
  const trimmed = text.trim()
  return trimmed.length > STDERR_TAIL_CHARS ? `...${trimmed.slice(-STDERR_TAIL_CHARS)}` : trimmed
}

function withTail(message: string, stderr: string): string {
  const last = tail(stderr).split('\n').slice(-3).join(' | ')
  return last ? `${message}: ${last}` : message
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {
    // The group is already gone.
  }
}

/** One expected call of a stub Exec: what it must look like and what it answers. */
export interface ExecExpectation {
  command: string
  /** Exact arguments, or a predicate over them. */
  args: string[] | ((args: string[]) => boolean)
  /** What the call returns; exitCode != 0 throws like the real seam unless allowFailure. */
  result?: Partial<Omit<ExecResult, 'durationMs'>>
  /** Thrown instead of returning a result. */
  error?: Error
  /** How many calls this expectation answers (default 1). */
  times?: number
}

export interface StubCall {
  command: string
  args: string[]
  options: ExecOptions
}

export type StubExec = Exec & { calls: StubCall[]; assertAllUsed(): void }

/** An Exec for unit tests: an unexpected call throws; an unused expectation fails assertAllUsed. */
export function createStubExec(expectations: ExecExpectation[]): StubExec {
  const remaining = expectations.map((expectation) => expectation.times ?? 1)
  const calls: StubCall[] = []

  const stub = async (command: string, args: string[], options: ExecOptions = {}) => {
    calls.push({ command, args, options })
    const index = expectations.findIndex(
      (expectation, i) => (remaining[i] ?? 0) > 0 && matchesExpectation(expectation, command, args),
    )
    const expectation = expectations[index]
    if (!expectation) {
      throw new ExecError(
        'exec-failed',
        command,
        `unexpected call: ${describeCommand(command, args, options)}`,
      )
    }
    remaining[index] = (remaining[index] ?? 1) - 1
    if (expectation.error) throw expectation.error

    const result: ExecResult = {
      stdout: expectation.result?.stdout ?? '',
      stderr: expectation.result?.stderr ?? '',
      exitCode: expectation.result?.exitCode ?? 0,
      durationMs: 0,
    }
    if (result.exitCode !== 0 && !options.allowFailure) {
      const stderr = tail(scrub(result.stderr, options))
      const message = `${describeCommand(command, args, options)}: exited with ${result.exitCode}`
      throw new ExecError('exec-failed', command, withTail(message, stderr), {
        exitCode: result.exitCode,
        stderr,
      })
    }
    return result
  }

  const assertAllUsed = (): void => {
    const unused = expectations.filter((_, i) => (remaining[i] ?? 0) > 0)
    if (unused.length === 0) return
    const lines = unused.map((expectation) => `${expectation.command} ${describeArgs(expectation)}`)
    throw new ExecError('exec-failed', 'stub', `expected calls never made: ${lines.join('; ')}`)
  }

  return Object.assign(stub, { calls, assertAllUsed })
}

function matchesExpectation(
  expectation: ExecExpectation,
  command: string,
  args: string[],
): boolean {
  if (expectation.command !== command) return false
  if (typeof expectation.args === 'function') return expectation.args(args)
  return (
    expectation.args.length === args.length && expectation.args.every((arg, i) => arg === args[i])
  )
}

function describeArgs(expectation: ExecExpectation): string {
  return typeof expectation.args === 'function' ? '(matching args)' : expectation.args.join(' ')
}
