// The exclusive lock on a node's data directory: a running node holds it for its lifetime, and
// `archy node rotate-key` takes it, so a key is never rotated under a node still signing with it.
// A lock file made with O_EXCL holds the owner's pid; a lock whose process is gone is stale.
import { open, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'

import { ArchyError } from '../src/errors.js'

export const DATA_LOCK_FILE = 'node.lock'

// The lock files this process holds. A lock naming this process's pid that is not among them is
// stale: in a container the node is pid 1 on every start, so after a crash its old lock names the
// new process.
const held = new Set<string>()

export interface DataLock {
  release(): Promise<void>
}

/** Takes the lock on `dataDir` or fails naming the process that holds it (`what` it is doing). */
export async function acquireDataLock(dataDir: string, what: string): Promise<DataLock> {
  const lockFile = join(dataDir, DATA_LOCK_FILE)
  for (let attempt = 0; ; attempt += 1) {
    if (await tryCreateLock(lockFile)) {
      held.add(lockFile)
      return {
        async release() {
          held.delete(lockFile)
          await rm(lockFile, { force: true })
        },
      }
    }

    const holder = await readHolder(lockFile)
    const ours = holder === process.pid && held.has(lockFile)
    if (holder !== undefined && !ours && (holder === process.pid || !isProcessAlive(holder))) {
      // Stale: its process died without releasing (a crash, SIGKILL). Remove it and try again.
      await rm(lockFile, { force: true })
      continue
    }
    // No pid yet: the holder is writing it right now. Look again a few times before giving up.
    if (holder === undefined && attempt < 20) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      continue
    }
    const who = holder === undefined ? 'another process' : `process ${holder}`
    throw new ArchyError(
      'locked',
      `data: ${dataDir} is in use by ${who} (a running registry node or rotate-key); ` +
        `stop it before ${what}, or remove ${lockFile} if that process is gone`,
    )
  }
}

async function tryCreateLock(lockFile: string): Promise<boolean> {
  try {
    const handle = await open(lockFile, 'wx', 0o600)
    try {
      await handle.writeFile(`${process.pid}\n`)
    } finally {
      await handle.close()
    }
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw new ArchyError('io', `cannot create ${lockFile}: ${(error as Error).message}`, {
      cause: error,
    })
  }
}

async function readHolder(lockFile: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(lockFile, 'utf8')).trim())
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
