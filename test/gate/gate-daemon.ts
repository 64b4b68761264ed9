// The agent daemon as the gate drives it: started, waited for by its log lines, killed with
// SIGKILL (no clean-up at all, as a crash or power cut leaves it) or stopped with SIGTERM.
import type { ChildProcess } from 'node:child_process'
import { ArchyError } from '../../src/errors.js'
import type { GateUser } from './gate-user.js'

export interface GateDaemon {
  /** Resolves once the daemon has logged a line with this `msg`. */
  waitFor(msg: string, timeoutMs?: number): Promise<void>
  kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<void>
  /** Every log line so far, for a failure's detail. */
  lines: string[]
}

/** Starts `archy agent run` with one pass at start-up (the boot reconcile) and no other. */
export function startGateDaemon(user: GateUser, place: string[]): GateDaemon {
  const child = user.spawnAgent([...place, '--interval', '3600'])
  const lines: string[] = []
  const seen = new Set<string>()
  const waiters: { msg: string; resolve: () => void }[] = []
  let buffered = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk
    const parts = buffered.split('\n')
    buffered = parts.pop() ?? ''
    for (const line of parts) {
      lines.push(line)
      const msg = messageOf(line)
      if (msg === undefined) continue
      seen.add(msg)
      for (const waiter of waiters.filter((candidate) => candidate.msg === msg)) waiter.resolve()
    }
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))

  return {
    lines,
    waitFor(msg, timeoutMs = 60_000) {
      if (seen.has(msg)) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const last = lines.slice(-3).join(' | ')
          reject(
            new ArchyError('gate-daemon', `no "${msg}" from the agent in ${timeoutMs} ms: ${last}`),
          )
        }, timeoutMs)
        waiters.push({ msg, resolve: () => (clearTimeout(timer), resolve()) })
        void exited.then(() => {
          clearTimeout(timer)
          if (!seen.has(msg))
            reject(new ArchyError('gate-daemon', `agent exited: ${lines.slice(-3).join(' | ')}`))
        })
      })
    },
    async kill(signal) {
      signalGroup(child, signal)
      await exited
      await waitGroupGone(child)
    },
  }
}

function messageOf(line: string): string | undefined {
  try {
    const parsed = JSON.parse(line) as { msg?: unknown }
    return typeof parsed.msg === 'string' ? parsed.msg : undefined
  } catch {
    return undefined
  }
}

// The agent under runuser is reparented when runuser dies first, and its pid (in the state lock)
// counts as alive until it is reaped: wait for the whole group to be gone.
async function waitGroupGone(child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000
  while (child.pid !== undefined && Date.now() < deadline) {
    try {
      process.kill(-child.pid, 0)
    } catch {
      return
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    // Already gone.
  }
}
