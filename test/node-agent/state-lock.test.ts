// The agent's state lock: a lock naming our own pid is stale unless this process holds it (a
// container's agent is pid 1 on every start), and one this process holds still makes others wait.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { acquireStateLock } from '../../node-agent/state-lock.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'state-lock-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('acquireStateLock with a lock naming our own pid', () => {
  it('takes over one left by an earlier process that had this pid', async () => {
    const file = path.join(dir, 'lock')
    await writeFile(file, `${process.pid}\n`)
    const lock = await acquireStateLock(file, { waitMs: 0 })
    expect(await readFile(file, 'utf8')).toBe(`${process.pid}\n`)
    await lock.release()
  })

  it('still refuses a second taker while this process holds it, by any spelling of the path', async () => {
    const file = path.join(dir, 'lock')
    const lock = await acquireStateLock(file)
    const relative = path.relative(process.cwd(), file)
    await expect(acquireStateLock(relative, { waitMs: 50, pollMs: 10 })).rejects.toThrow(
      `locked by process ${process.pid}`,
    )
    await lock.release()
    const again = await acquireStateLock(relative, { waitMs: 0 })
    await again.release()
  })
})
