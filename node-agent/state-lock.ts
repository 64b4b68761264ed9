// The exclusive lock on the state directory: one agent command acts at a time (DESIGN.md §5).
// A lock file made with O_EXCL holds the owner's pid; a lock whose process is gone is stale, and
// so is one naming our own pid that this process does not hold (isStaleHolder).
import { rm } from 'node:fs/promises'
import { resolve } from 'node:path'

import { ArchyError } from '../src/errors.js'
import { isStaleHolder, readHolder, tryCreateLock } from '../src/fs/pid-lock-file.js'

// The lock files this process holds: a second taker in the same process waits like any other.
const held = new Set<string>()

export interface StateLock {
  release(): Promise<void>
}

export interface LockOptions {
  /** How long to wait for another command to finish; default 10 s. */
  waitMs?: number
  pollMs?: number
}

/** Takes the lock or, after waiting, fails naming the process that holds it. */
export async function acquireStateLock(
  lockFile: string,
  options: LockOptions = {},
): Promise<StateLock> {
  const deadline = Date.now() + (options.waitMs ?? 10_000)
  const pollMs = options.pollMs ?? 100
  const key = resolve(lockFile)
  for (;;) {
    if (await tryCreateLock(lockFile)) {
      held.add(key)
      return {
        async release() {
          held.delete(key)
          await rm(lockFile, { force: true })
        },
      }
    }

    const holder = await readHolder(lockFile)
    if (holder !== undefined && isStaleHolder(holder, held.has(key))) {
      // Stale: its process died without releasing. Remove it and try again at once.
      await rm(lockFile, { force: true })
      continue
    }
    if (Date.now() >= deadline) {
      const who = holder === undefined ? 'another process' : `process ${holder}`
      throw new ArchyError(
        'locked',
        `the agent state is locked by ${who} (another archy agent command is running); ` +
          `try again when it finishes, or remove ${lockFile} if that process is gone`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
}
