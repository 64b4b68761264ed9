// The data root recorded with the agent's state: kept while apps are installed, so a forgotten
// --data-root or ARCHY_DATA_ROOT never starts installed apps on empty directories.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { openAgent } from '../../node-agent/agent-context.js'
import { pinDataRoot } from '../../node-agent/data-root-pin.js'
import { createStubExec } from '../../node-agent/exec.js'

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'agent-data-root-'))
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('pinDataRoot', () => {
  it('records the first root it is given', async () => {
    const root = await pinDataRoot(dir, '/srv/a', { explicit: true, hasInstalls: false })
    expect(root).toBe('/srv/a')
    expect((await readFile(path.join(dir, 'data-root'), 'utf8')).trim()).toBe('/srv/a')
  })

  it('moves the pin freely while nothing is installed', async () => {
    await pinDataRoot(dir, '/srv/a', { explicit: true, hasInstalls: false })
    expect(await pinDataRoot(dir, '/srv/b', { explicit: true, hasInstalls: false })).toBe('/srv/b')
  })

  it('keeps the recorded root when apps are installed and none is given', async () => {
    await pinDataRoot(dir, '/srv/a', { explicit: true, hasInstalls: false })
    const root = await pinDataRoot(dir, '/home/u/default', { explicit: false, hasInstalls: true })
    expect(root).toBe('/srv/a')
  })

  it('keeps the recorded root while uninstalled apps left their data under it', async () => {
    const kept = path.join(dir, 'kept')
    await mkdir(path.join(kept, 'notes-api', 'data'), { recursive: true })
    await pinDataRoot(dir, kept, { explicit: true, hasInstalls: false })
    const root = await pinDataRoot(dir, '/home/u/default', { explicit: false, hasInstalls: false })
    expect(root).toBe(kept)
    await expect(
      pinDataRoot(dir, '/srv/other', { explicit: true, hasInstalls: false }),
    ).rejects.toThrow(/differs from .*kept, where this agent's apps keep their data/)
  })

  it('refuses another root given explicitly while apps are installed', async () => {
    await pinDataRoot(dir, '/srv/a', { explicit: true, hasInstalls: false })
    await expect(pinDataRoot(dir, '/srv/b', { explicit: true, hasInstalls: true })).rejects.toThrow(
      /--data-root \/srv\/b differs from \/srv\/a, where this agent's apps keep/,
    )
  })
})

describe('openAgent', () => {
  it('names --state when the state directory cannot be made', async () => {
    const file = path.join(dir, 'file')
    await (await import('node:fs/promises')).writeFile(file, '')
    const options = { state: path.join(file, 'state'), exec: createStubExec([]) }
    await expect(openAgent(options)).rejects.toThrow(/^--state: cannot create .*\(ENOTDIR\)/)
  })

  it('uses the pinned root for its context', async () => {
    const state = path.join(dir, 'state')
    const agent = await openAgent({
      state,
      dataRoot: path.join(dir, 'apps'),
      hostIp: '192.0.2.1',
      exec: createStubExec([]),
    })
    try {
      expect(agent.paths.dataRoot).toBe(path.join(dir, 'apps'))
      expect(agent.context.dataRoot).toBe(path.join(dir, 'apps'))
    } finally {
      await agent.close()
    }
  })
})
