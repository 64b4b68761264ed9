// Two agent states of one user (DESIGN.md §5): every container is labelled with the state that made
// it, and a container another state manages is never adopted, recreated, stopped or removed.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

import type { Agent } from '../../node-agent/agent-context.js'
import { addRegistry } from '../../node-agent/catalog-follower.js'
import type { ExecExpectation, StubExec } from '../../node-agent/exec.js'
import { installApp } from '../../node-agent/install.js'
import { reconcileApp, restartApp, setAppState, uninstallApp } from '../../node-agent/lifecycle.js'
import { planStack } from '../../node-agent/stack-plan.js'
import { requireValidManifests } from '../../src/manifest/validate.js'
import {
  adoptionProbes,
  appOver,
  buildCatalog,
  makePublisher,
  signRawRelease,
  openStubAgent,
  useAgentTestBed,
} from './agent-test-registry.js'

const bed = useAgentTestBed('agent-other-agent-')

const OTHER_AGENT = 'b'.repeat(64)
const MESSAGE =
  `hello-web: container hello-web is managed by another agent state ` +
  `(label archy.agent=${OTHER_AGENT}); this agent never adopts, recreates, stops or removes it: ` +
  'manage the app from that state (--state)'

/** `podman ps` showing hello-web as another agent state made it. */
function otherAgentsListing(times = 1): ExecExpectation {
  const labels = {
    'archy.app': 'hello-web',
    'archy.version': '1.0.0',
    'archy.managed': 'true',
    'archy.config-hash': 'c'.repeat(64),
    'archy.agent': OTHER_AGENT,
  }
  const container = {
    Id: 'abc123',
    Names: ['hello-web'],
    State: 'running',
    Image: 'x',
    Labels: labels,
  }
  return {
    command: 'podman',
    args: ['ps', '-a', '--format', 'json'],
    result: { stdout: JSON.stringify([container]) },
    times,
  }
}

/** What an install asks Podman: its version (once more to render units), info, a listing. */
function installProbes(versionCalls: number, running?: string[]): ExecExpectation[] {
  const [version, info, listing] = adoptionProbes(running ?? [])
  const listed = running ? [{ ...listing!, times: 1 }] : []
  return [{ ...version!, times: versionCalls }, info!, ...listed]
}

async function follow(agent: Agent): Promise<void> {
  const release = signRawRelease(makePublisher(), [appOver('hello-web', 'old-hello')])
  bed.registry.catalog = buildCatalog(bed.registry, [release], 1)
  await addRegistry(agent.store, bed.registry.url, bed.registry.operator.did)
}

function verbsOf(stub: StubExec): string[] {
  return stub.calls.map((call) => call.args[0]!)
}

describe('the agent label', () => {
  it("labels each container with its state's id, outside the config hash", () => {
    const [manifest] = requireValidManifests([appOver('hello-web', 'old-hello')])
    const context = { dataRoot: '/srv/apps', values: {} }
    const plan = (agentId: string) =>
      planStack([manifest!], context, { limits: {}, installed: [], agentId })
    const [mine] = plan('a'.repeat(64))
    const [theirs] = plan(OTHER_AGENT)
    expect(mine!.spec.labels['archy.agent']).toBe('a'.repeat(64))
    expect(theirs!.spec.labels['archy.agent']).toBe(OTHER_AGENT)
    // A container made before the label (or by another state) does not look changed.
    expect(mine!.configHash).toBe(theirs!.configHash)
    expect(mine!.spec.labels['archy.config-hash']).toBe(mine!.configHash)
  })

  it("is the node's Nostr public key of the state", async () => {
    const agent = await openStubAgent(bed.dir, [])
    expect(agent.agentId).toBe(agent.context.values.NODE_NOSTR_PUBKEY)
    await agent.close()
  })
})

describe("another agent state's container", () => {
  it('refuses the install before any unit, data or record is written', async () => {
    const agent = await openStubAgent(bed.dir, [...installProbes(1), otherAgentsListing()])
    await follow(agent)
    await expect(installApp(agent, 'hello-web', { mode: 'podman' })).rejects.toThrow(MESSAGE)
    expect(agent.store.listInstalls()).toEqual([])
    for (const verb of ['run', 'rm', 'stop', 'start', 'create']) {
      expect(verbsOf(agent.stub)).not.toContain(verb)
    }
    expect(existsSync(path.join(bed.dir, 'apps', 'hello-web'))).toBe(false)
    expect(existsSync(path.join(bed.dir, 'state', 'units', 'hello-web'))).toBe(false)
    agent.stub.assertAllUsed()
    await agent.close()
  })

  it('fails reconcile, stop, start and restart without touching it', async () => {
    // Installed over an adopted legacy container; then another state's hello-web appears.
    const agent = await openStubAgent(bed.dir, [
      ...installProbes(2, ['old-hello']),
      otherAgentsListing(4),
    ])
    await follow(agent)
    await installApp(agent, 'hello-web', { mode: 'podman' })

    await expect(reconcileApp(agent, 'hello-web')).rejects.toThrow(MESSAGE)
    expect(agent.store.getInstall('hello-web')?.lastError).toBe(MESSAGE)
    await expect(setAppState(agent, 'hello-web', 'stopped')).rejects.toThrow(MESSAGE)
    await expect(setAppState(agent, 'hello-web', 'running')).rejects.toThrow(MESSAGE)
    await expect(restartApp(agent, 'hello-web')).rejects.toThrow(MESSAGE)
    for (const verb of ['run', 'rm', 'stop', 'start', 'create']) {
      expect(verbsOf(agent.stub)).not.toContain(verb)
    }
    agent.stub.assertAllUsed()
    await agent.close()
  })

  it('is left by uninstall, which refuses --purge', async () => {
    const agent = await openStubAgent(bed.dir, [
      ...installProbes(2, ['old-hello']),
      otherAgentsListing(2),
      { command: 'podman', args: ['network', 'rm', 'archy-net'], result: { exitCode: 2 } },
    ])
    await follow(agent)
    await installApp(agent, 'hello-web', { mode: 'podman' })

    await expect(uninstallApp(agent, 'hello-web', { purge: true })).rejects.toThrow(
      '--purge: container hello-web is managed by another agent state, which shares ' +
        "the app's Podman secrets and volumes; uninstall without --purge",
    )
    expect(agent.store.getInstall('hello-web')).toBeDefined()
    expect(await uninstallApp(agent, 'hello-web', { purge: false })).toEqual({
      removed: [],
      otherAgents: ['hello-web'],
      purged: [],
      volumes: [],
    })
    expect(agent.store.getInstall('hello-web')).toBeUndefined()
    expect(verbsOf(agent.stub)).not.toContain('rm')
    agent.stub.assertAllUsed()
    await agent.close()
  })
})
