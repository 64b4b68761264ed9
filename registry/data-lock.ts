// The exclusive lock on a node's data directory: a running node holds it for its lifetime, and
// `archy node rotate-key` takes it, so a key is never rotated under a node still signing with it.
// A lock file made with O_EXCL holds the owner's pid; a lock whose process is gone is stale.
import { rm } from 'node:fs/promises'
import { join } from 'node:path'

import { ArchyError } from '../src/errors.js'
import { isStaleHolder, readHolder, tryCreateLock } from '../src/fs/pid-lock-file.js'

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
    if (holder !== undefined && isStaleHolder(holder, held.has(lockFile))) {
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
