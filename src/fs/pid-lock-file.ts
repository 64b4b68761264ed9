// The pieces of a pid lock file shared by the agent's state lock and the registry's data lock:
// create it exclusively with our pid, read who holds it, and ask whether that process lives.
import { open, readFile } from 'node:fs/promises'

import { ArchyError } from '../errors.js'

/** Creates `lockFile` (0600) holding this process's pid; false when it already exists. */
export async function tryCreateLock(lockFile: string): Promise<boolean> {
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

/**
 * The pid in `lockFile`, or undefined when there is none to read: released in between, or
 * being written right now (callers treat that as held and look again).
 */
export async function readHolder(lockFile: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(lockFile, 'utf8')).trim())
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/**
 * Whether a lock naming `holder` is stale. One naming this process's own pid that this process
 * does not hold (`heldHere` false) was left by an earlier process that had the same pid: in a
 * container the agent or node is pid 1 on every start, so a crash must not lock it out.
 */
export function isStaleHolder(holder: number, heldHere: boolean): boolean {
  return holder === process.pid ? !heldHere : !isProcessAlive(holder)
}

/** Whether process `pid` exists (EPERM: it does, under another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
