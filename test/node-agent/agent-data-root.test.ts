// The data root recorded with the agent's state: kept while apps are installed, so a forgotten
// --data-root or ARCHY_DATA_ROOT never starts installed apps on empty directories.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
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
  const at = (name: string): string => path.join(dir, name)

  it('records the first root it is given', async () => {
    const root = await pinDataRoot(dir, at('srv/a'), { explicit: true, hasInstalls: false })
    expect(root).toBe(at('srv/a'))
    expect((await readFile(path.join(dir, 'data-root'), 'utf8')).trim()).toBe(at('srv/a'))
  })

  it('moves the pin freely while nothing is installed', async () => {
    await pinDataRoot(dir, at('srv/a'), { explicit: true, hasInstalls: false })
    expect(await pinDataRoot(dir, at('srv/b'), { explicit: true, hasInstalls: false })).toBe(
      at('srv/b'),
    )
  })

  it('keeps the recorded root when apps are installed and none is given', async () => {
    const apps = path.join(dir, 'apps')
    await mkdir(apps)
    await pinDataRoot(dir, apps, { explicit: true, hasInstalls: false })
    const root = await pinDataRoot(dir, at('default'), { explicit: false, hasInstalls: true })
    expect(root).toBe(apps)
  })

  it('keeps the recorded root while uninstalled apps left their data under it', async () => {
    const kept = path.join(dir, 'kept')
    await mkdir(path.join(kept, 'notes-api', 'data'), { recursive: true })
    await pinDataRoot(dir, kept, { explicit: true, hasInstalls: false })
    const root = await pinDataRoot(dir, at('default'), { explicit: false, hasInstalls: false })
    expect(root).toBe(kept)
    await expect(
      pinDataRoot(dir, at('srv/other'), { explicit: true, hasInstalls: false }),
    ).rejects.toThrow(/differs from .*kept, where this agent's apps keep their data/)
  })

  it('refuses another root given explicitly while apps are installed', async () => {
    const apps = path.join(dir, 'apps')
    await mkdir(apps)
    await pinDataRoot(dir, apps, { explicit: true, hasInstalls: false })
    await expect(
      pinDataRoot(dir, at('srv/b'), { explicit: true, hasInstalls: true }),
    ).rejects.toThrow(
      /^--data-root \/.*\/srv\/b differs from \/.*\/apps, where this agent's apps keep/,
    )
  })

  // A damaged record is refused naming the file, its problem and the fix; never used nor replaced.
  const damaged: Array<[string, string, RegExp]> = [
    ['a relative path', 'garbage', /"garbage" is not valid: it is not an absolute path/],
    ['a NUL character', '/srv/a\0b', /is not valid: it contains a NUL character/],
    ['several lines', '/srv/a\n/srv/b\n', /is not valid: it spans several lines/],
  ]
  for (const [name, value, problem] of damaged) {
    for (const hasInstalls of [true, false]) {
      it(`refuses a record with ${name} (installs: ${hasInstalls})`, async () => {
        const file = path.join(dir, 'data-root')
        await writeFile(file, value)
        const pin = pinDataRoot(dir, at('default'), { explicit: false, hasInstalls })
        await expect(pin).rejects.toThrow(problem)
        await expect(pin).rejects.toThrow(/^\/.*\/data-root: the recorded data root/)
        await expect(pin).rejects.toThrow(/write the absolute path of the directory .* into/)
        expect(await readFile(file, 'utf8')).toBe(value)
      })
    }
  }

  it('refuses a recorded root that is not a directory while apps are installed', async () => {
    const file = path.join(dir, 'data-root')
    await writeFile(path.join(dir, 'plain'), '')
    await writeFile(file, path.join(dir, 'plain') + '\n')
    await expect(
      pinDataRoot(dir, at('default'), { explicit: false, hasInstalls: true }),
    ).rejects.toThrow(/recorded data root .*plain" is not valid: it is not a directory/)
    await expect(
      pinDataRoot(dir, path.join(dir, 'plain'), { explicit: true, hasInstalls: true }),
    ).rejects.toThrow(/^\/.*\/data-root: the recorded data root .*plain" is not valid/)
  })

  it('says the recorded value is not a valid path when another root is given', async () => {
    await writeFile(path.join(dir, 'data-root'), 'garbage\n')
    await expect(
      pinDataRoot(dir, at('srv/b'), { explicit: true, hasInstalls: true }),
    ).rejects.toThrow(
      /^--data-root \/.*\/srv\/b differs from the data root recorded in .*data-root, "garbage", which is not a valid path: it is not an absolute path/,
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

  it('refuses a damaged record before it touches Podman', async () => {
    const state = path.join(dir, 'state')
    await mkdir(state)
    await writeFile(path.join(state, 'data-root'), 'garbage')
    const options = { state, hostIp: '192.0.2.1', exec: createStubExec([]) }
    await expect(openAgent(options)).rejects.toThrow(/data-root: the recorded data root "garbage"/)
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
