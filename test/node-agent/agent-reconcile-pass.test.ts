// The reconcile pass over many installs: one container listing for all of them, nothing done
// when everything runs, catalogs refreshed even with nothing installed, and a Podman that fails
// or hangs turns into errors on every app, never into apps that look uninstalled.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openAgent, type Agent } from '../../node-agent/agent-context.js'
import { addRegistry } from '../../node-agent/catalog-follower.js'
import type { Exec } from '../../node-agent/exec.js'
import { describeAppError, runReconcilePass } from '../../node-agent/reconcile-pass.js'
import { collectStatus } from '../../node-agent/status.js'
import { ExecError } from '../../src/errors.js'
import { seedRunningInstalls } from '../support/seed-installs.js'
import { buildCatalog, openStubAgent, useAgentTestBed } from './agent-test-registry.js'

const INFO = { host: { security: { rootless: true }, cgroupVersion: 'v2', cgroupControllers: [] } }

let agent: Agent | undefined
afterEach(async () => {
  await agent?.close()
  agent = undefined
})

/** An agent whose Podman answers `ps` with `listing()` (or its error) and `info`; nothing else. */
async function openCountingAgent(listing: () => unknown[] | Error): Promise<string[]> {
  const calls: string[] = []
  const exec: Exec = async (command, args) => {
    const line = args.join(' ')
    calls.push(`${command} ${line}`)
    const answer = (value: unknown) => ({
      stdout: JSON.stringify(value),
      stderr: '',
      exitCode: 0,
      durationMs: 0,
    })
    if (line === 'info --format json') return answer(INFO)
    if (line !== 'ps -a --format json')
      throw new ExecError('exec-failed', command, `unexpected ${line}`)
    const rows = listing()
    if (rows instanceof Error) throw rows
    return answer(rows)
  }
  const dir = mkdtempSync(join(tmpdir(), 'archy-pass-'))
  agent = await openAgent({
    state: join(dir, 'state'),
    dataRoot: join(dir, 'apps'),
    hostIp: '127.0.0.1',
    exec,
  })
  return calls
}

describe('runReconcilePass', () => {
  it('lists containers once for 20 installs and does nothing when all run', async () => {
    let rows: unknown[] = []
    const calls = await openCountingAgent(() => rows)
    rows = await seedRunningInstalls(agent!, 20)
    calls.length = 0

    const result = await runReconcilePass(agent!)
    expect(result.errors).toEqual([])
    expect(result.steps).toEqual([])
    expect(calls).toEqual(['podman ps -a --format json'])
  })

  it('gives every app an error when the listing fails, and status still lists them all', async () => {
    let failing = false
    let rows: unknown[] = []
    const timeout = new ExecError('exec-timeout', 'podman', 'podman ps: timed out after 60000 ms')
    const calls = await openCountingAgent(() => (failing ? timeout : rows))
    rows = await seedRunningInstalls(agent!, 3)
    failing = true
    calls.length = 0

    const result = await runReconcilePass(agent!)
    expect(result.steps).toEqual([])
    expect(result.errors).toHaveLength(3)
    for (const error of result.errors)
      expect(error).toMatch(/^seeded-app-0\d: cannot list containers: .*timed out/)
    expect(calls).toEqual(['podman ps -a --format json'])

    const status = await collectStatus(agent!)
    expect(status.apps.map((app) => app.appId)).toEqual([
      'seeded-app-00',
      'seeded-app-01',
      'seeded-app-02',
    ])
    expect(status.apps.flatMap((app) => app.members.map((member) => member.state))).toEqual([
      'unknown',
      'unknown',
      'unknown',
    ])
    expect(status.podmanError).toMatch(/timed out/)
  })
})

describe('runReconcilePass with nothing installed', () => {
  const bed = useAgentTestBed('archy-pass-empty-')

  it('still refreshes every followed catalog, and makes no Podman call', async () => {
    const stubbed = await openStubAgent(bed.dir, [])
    try {
      await addRegistry(stubbed.store, bed.registry.url, bed.registry.operator.did)
      expect(stubbed.store.listRegistries().map((entry) => entry.sequence)).toEqual([1])
      bed.registry.catalog = buildCatalog(bed.registry, [], 2)

      const result = await runReconcilePass(stubbed)
      expect(result).toMatchObject({ steps: [], errors: [], warnings: [] })
      expect(stubbed.store.listRegistries().map((entry) => entry.sequence)).toEqual([2])
    } finally {
      await stubbed.close()
    }
  })
})

describe('describeAppError', () => {
  it.each([
    ['hello', 'cannot list containers: timed out', 'hello: cannot list containers: timed out'],
    ['hello', 'hello: not healthy after 10 s', 'hello: not healthy after 10 s'],
    ['notes', 'notes-api: the container exited', 'notes: notes-api: the container exited'],
    ['notes', 'notes-api: notes: odd', 'notes: notes-api: notes: odd'],
  ])('reports %s failing with %j as %j', (appId, message, expected) => {
    expect(describeAppError(appId, message)).toBe(expected)
  })
})
