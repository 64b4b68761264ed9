// Two things the reconciler reports rather than acts on (issue 5): containers this agent state
// made that no install wants, and a container name held by a container `podman ps` does not list.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

import { openAgent, type Agent } from '../../node-agent/agent-context.js'
import { AGENT_LABEL } from '../../node-agent/config-hash.js'
import { APP_LABEL } from '../../node-agent/container-spec.js'
import { createStubExec, type Exec } from '../../node-agent/exec.js'
import { createPodman } from '../../node-agent/podman.js'
import { runReconcilePass } from '../../node-agent/reconcile-pass.js'
import { collectStatus, renderStatus } from '../../node-agent/status.js'
import { ExecError } from '../../src/errors.js'
import { seedRunningInstalls } from '../support/seed-installs.js'

const INFO = { host: { security: { rootless: true }, cgroupVersion: 'v2', cgroupControllers: [] } }

let agent: Agent | undefined
afterEach(async () => {
  await agent?.close()
  agent = undefined
})

describe('containers this agent state owns that nothing wants', () => {
  it('are reported by every full pass and by status, and never removed', async () => {
    let rows: unknown[] = []
    const calls: string[] = []
    const exec: Exec = async (command, args) => {
      const line = args.join(' ')
      calls.push(line)
      const answer = (value: unknown) => ({
        stdout: JSON.stringify(value),
        stderr: '',
        exitCode: 0,
        durationMs: 0,
      })
      if (line === 'info --format json') return answer(INFO)
      if (line === 'ps -a --format json') return answer(rows)
      throw new ExecError('exec-failed', command, `unexpected ${line}`)
    }
    const dir = mkdtempSync(join(tmpdir(), 'archy-unwanted-'))
    agent = await openAgent({ state: join(dir, 'state'), dataRoot: join(dir, 'apps'), exec })
    const seeded = await seedRunningInstalls(agent, 1)
    const row = (name: string, labels: Record<string, string>, state = 'exited') => ({
      Id: name.padEnd(64, '0').replace(/[^0-9a-f]/g, 'a'),
      Names: [name],
      State: state,
      Image: 'localhost/x:1',
      Labels: labels,
      Created: 1_796_000_000,
    })
    rows = [
      ...seeded,
      row('gone-app', { [AGENT_LABEL]: agent.agentId, [APP_LABEL]: 'gone-app' }),
      row('other-state-app', { [AGENT_LABEL]: 'f'.repeat(64), [APP_LABEL]: 'other-state-app' }),
      row('someone-else', {}, 'running'),
    ]

    const pass = await runReconcilePass(agent)
    expect(pass.errors).toEqual([])
    expect(pass.warnings).toEqual([
      "container gone-app (app gone-app, exited) is this agent's but no install wants it; it " +
        'is left as it is: podman rm --force gone-app removes it (data under the data root stays)',
    ])
    const status = await collectStatus(agent)
    expect(status.unwanted).toEqual([{ name: 'gone-app', appId: 'gone-app', state: 'exited' }])
    expect(renderStatus(status)).toMatch(/^unwanted: container gone-app \(app gone-app/m)
    expect(calls.filter((line) => !/^(ps|info) /.test(line))).toEqual([])

    // A pass over one app judges that app only.
    expect((await runReconcilePass(agent, { appId: 'seeded-app-00' })).warnings).toEqual([])
  })
})

describe('podman run of a name held by a container podman ps does not list', () => {
  const args = ['run', '--detach', '--name', 'reg-app', 'img']
  const inUse = {
    exitCode: 125,
    stderr:
      'Error: creating container storage: the container name "reg-app" is already in use by ' +
      '1373ce5c7449. You have to remove that container to be able to reuse that name: that ' +
      'name is already in use',
  }

  it('names the storage-only container and how to remove it, removing nothing', async () => {
    const exec = createStubExec([
      { command: 'podman', args, result: inUse },
      { command: 'podman', args: ['container', 'exists', 'reg-app'], result: { exitCode: 1 } },
    ])
    await expect(createPodman({ exec }).run(args)).rejects.toThrow(
      'podman run: the name reg-app is held by a container podman ps does not list (a ' +
        'storage-only container, left by an interrupted podman run or made by buildah); the ' +
        'agent never removes what it does not know: remove it with podman rm --force reg-app ' +
        '(or buildah rm reg-app), then reconcile',
    )
    exec.assertAllUsed()
  })

  it('says when a container Podman knows took the name after the listing', async () => {
    const exec = createStubExec([
      { command: 'podman', args, result: inUse },
      { command: 'podman', args: ['container', 'exists', 'reg-app'], result: { exitCode: 0 } },
    ])
    await expect(createPodman({ exec }).run(args)).rejects.toMatchObject({
      code: 'name-in-use',
      message: expect.stringContaining('a container named reg-app appeared after the listing'),
    })
    exec.assertAllUsed()
  })
})
