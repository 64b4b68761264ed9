// Quadlet mode end to end over the exec seam: systemctl and podman are stubbed (this host has no
// user systemd), the real Quadlet generator checks the staged units with -dryrun. Units land in
// the Quadlet directory only once the generator accepted them; systemd runs the hooks.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { openAgent, type Agent } from '../../node-agent/agent-context.js'
import { addRegistry } from '../../node-agent/catalog-follower.js'
import {
  createStubExec,
  execCommand,
  type Exec,
  type ExecExpectation,
  type StubExec,
} from '../../node-agent/exec.js'
import { installApp } from '../../node-agent/install.js'
import { setAppState, uninstallApp } from '../../node-agent/lifecycle.js'
import { loadInstalledApp } from '../../node-agent/installed-app.js'
import { parseContainerList } from '../../node-agent/podman-output.js'
import { installQuadletUnits } from '../../node-agent/quadlet-mode.js'
import { reconcileInstalledApp } from '../../node-agent/reconciler.js'
import { QUADLET_MISSING, findQuadlet } from '../support/quadlet.js'
import {
  buildCatalog,
  makePublisher,
  signRawRelease,
  useAgentTestBed,
} from './agent-test-registry.js'

const bed = useAgentTestBed('agent-quadlet-mode-')
const generator = findQuadlet()
const IMAGE_ID = 'a'.repeat(64)

const manifest = {
  app: {
    id: 'qweb',
    name: 'qweb',
    version: '1.0.0',
    container: { image: 'registry.example/qweb:1.0.0' },
    hooks: { post_install: [{ exec: { command: ['sh', '-c', 'echo ready > /tmp/ready'] } }] },
  },
}

function container(state: string): string {
  return JSON.stringify([
    { Id: 'c1', Names: ['qweb'], State: state, Image: 'x', Labels: { 'archy.app': 'qweb' } },
  ])
}

/** Podman 5.4 with a user manager: what an install in quadlet mode asks, in order. */
function installCalls(): ExecExpectation[] {
  const info = { host: { cgroupVersion: 'v2', security: { rootless: true } } }
  return [
    {
      command: 'podman',
      args: ['version', '--format', '{{.Client.Version}}'],
      result: { stdout: '5.4.0\n' },
      times: 2,
    },
    { command: 'systemctl', args: ['--user', 'is-system-running'], result: { stdout: 'running' } },
    {
      command: 'podman',
      args: ['info', '--format', 'json'],
      result: { stdout: JSON.stringify(info) },
    },
    // The image before the units, for the VOLUMEs it declares (install-checks.ts).
    {
      command: 'podman',
      args: ['image', 'inspect', '--format', '{{.Id}}', 'registry.example/qweb:1.0.0'],
      result: { stdout: `${IMAGE_ID}\n` },
    },
    {
      command: 'podman',
      args: [
        'image',
        'inspect',
        '--format',
        '{{json .Config.Volumes}}',
        'registry.example/qweb:1.0.0',
      ],
      result: { stdout: 'null\n' },
    },
    {
      command: 'podman',
      args: ['ps', '-a', '--format', 'json'],
      result: { stdout: '[]' },
    },
    { command: 'systemctl', args: ['--user', 'daemon-reload'] },
    {
      command: 'loginctl',
      args: (args) => args[0] === 'show-user' && args.includes('--property=Linger'),
      result: { stdout: 'no\n' },
    },
    {
      command: 'podman',
      args: ['image', 'inspect', '--format', '{{.Id}}', 'registry.example/qweb:1.0.0'],
      result: { stdout: `${IMAGE_ID}\n` },
    },
    { command: 'podman', args: ['network', 'exists', 'archy-net'] },
    { command: 'systemctl', args: ['--user', 'start', 'qweb.service'] },
    {
      command: 'podman',
      args: ['ps', '-a', '--format', 'json'],
      result: { stdout: container('running') },
    },
  ]
}

let quadletDir: string
let stub: StubExec
let agent: Agent

async function open(expectations: ExecExpectation[]): Promise<Agent> {
  stub = createStubExec(expectations)
  // The generator runs for real; everything else answers from the stub.
  const exec: Exec = (command, args, options) =>
    command === generator ? execCommand(command, args, options) : stub(command, args, options)
  return openAgent({
    state: path.join(bed.dir, 'state'),
    dataRoot: path.join(bed.dir, 'apps'),
    hostIp: '192.0.2.10',
    exec,
  })
}

beforeEach(() => {
  quadletDir = path.join(bed.dir, 'config', 'containers', 'systemd')
  process.env.ARCHY_QUADLET_DIR = quadletDir
  if (generator) process.env.ARCHY_QUADLET_BIN = generator
})
afterEach(async () => {
  delete process.env.ARCHY_QUADLET_DIR
  delete process.env.ARCHY_QUADLET_BIN
  await agent?.close()
})

const describeGenerator = generator || process.env.CI === 'true' ? describe : describe.skip

describeGenerator('quadlet mode', () => {
  if (!generator) {
    it('has the Quadlet generator (required under CI=true)', () => {
      throw new Error(QUADLET_MISSING)
    })
    return
  }

  it(
    'installs checked units, starts the service, ' + 'and leaves the hooks to ExecStartPost=',
    async () => {
      const publisher = makePublisher()
      bed.registry.catalog = buildCatalog(bed.registry, [signRawRelease(publisher, [manifest])], 1)
      agent = await open(installCalls())
      await addRegistry(agent.store, bed.registry.url, bed.registry.operator.did)

      const result = await installApp(agent, 'qweb', { mode: 'auto' })
      stub.assertAllUsed()
      expect(result.steps).toEqual([{ appId: 'qweb', step: 'create', reason: 'no container' }])
      expect(result.warnings).toEqual([
        expect.stringMatching(/^linger is off for .*; run: sudo loginctl enable-linger /),
      ])
      expect(agent.store.getInstall('qweb')?.mode).toBe('quadlet')
      expect(agent.store.listMembers('qweb')[0]?.configHash).toMatch(/^[0-9a-f]{16,64}$/)

      // In place, and nothing left of the staging directory beside it.
      expect((await readdir(quadletDir)).sort()).toEqual(['archy-net.network', 'qweb.container'])
      expect(await readdir(path.dirname(quadletDir))).toEqual(['systemd'])
      const unit = await readFile(path.join(quadletDir, 'qweb.container'), 'utf8')
      expect(unit).toContain('ExecStartPost=podman exec qweb sh -c "echo ready > /tmp/ready"')
      expect(unit).toContain('WantedBy=default.target')
      expect(unit).toMatch(/^TimeoutStartSec=\d+$/m)
      // No podman exec of the hook, no podman run: systemd does both.
      expect(stub.calls.some((call) => ['exec', 'run'].includes(call.args[0] ?? ''))).toBe(false)
    },
  )

  it('joins a start systemd is running (as at boot) and restarts only to recreate', async () => {
    const publisher = makePublisher()
    bed.registry.catalog = buildCatalog(bed.registry, [signRawRelease(publisher, [manifest])], 1)
    const running = { command: 'podman', args: ['ps', '-a', '--format', 'json'] }
    agent = await open([
      ...installCalls(),
      // The container of a unit still starting: `systemctl start` waits for that start.
      { command: 'systemctl', args: ['--user', 'start', 'qweb.service'] },
      { ...running, result: { stdout: container('running') } },
      // A container of another config: the unit is restarted, which recreates it.
      {
        command: 'podman',
        args: ['image', 'inspect', '--format', '{{.Id}}', 'registry.example/qweb:1.0.0'],
        result: { stdout: `${IMAGE_ID}\n` },
      },
      { command: 'podman', args: ['network', 'exists', 'archy-net'] },
      { command: 'systemctl', args: ['--user', 'restart', 'qweb.service'] },
      { ...running, result: { stdout: container('running') } },
    ])
    await addRegistry(agent.store, bed.registry.url, bed.registry.operator.did)
    await installApp(agent, 'qweb', { mode: 'quadlet' })
    const app = await loadInstalledApp(agent, agent.store.getInstall('qweb')!)

    const starting = JSON.parse(container('created')) as { Labels: Record<string, string> }[]
    const stale = JSON.parse(container('running')) as { Labels: Record<string, string> }[]
    stale[0]!.Labels['archy.config-hash'] = 'f'.repeat(64)
    const listed = (raw: unknown[]) => parseContainerList(JSON.stringify(raw))
    expect(await reconcileInstalledApp(agent, app, listed(starting))).toEqual([
      { appId: 'qweb', step: 'start', reason: 'container is created' },
    ])
    expect(await reconcileInstalledApp(agent, app, listed(stale))).toEqual([
      { appId: 'qweb', step: 'recreate', reason: 'config hash changed' },
    ])
    stub.assertAllUsed()
  })

  it('stops through systemd and uninstall removes the unit before the container', async () => {
    const publisher = makePublisher()
    bed.registry.catalog = buildCatalog(bed.registry, [signRawRelease(publisher, [manifest])], 1)
    agent = await open([
      ...installCalls(),
      {
        command: 'podman',
        args: ['ps', '-a', '--format', 'json'],
        result: { stdout: container('running') },
      },
      // Masked as well: the unit's WantedBy= would start it at the next boot.
      { command: 'systemctl', args: ['--user', 'mask', '--now', 'qweb.service'] },
      { command: 'podman', args: ['ps', '-a', '--format', 'json'], result: { stdout: '[]' } },
      { command: 'systemctl', args: ['--user', 'stop', 'qweb.service'] },
      { command: 'systemctl', args: ['--user', 'daemon-reload'] },
      { command: 'podman', args: ['network', 'rm', 'archy-net'] },
    ])
    await addRegistry(agent.store, bed.registry.url, bed.registry.operator.did)
    await installApp(agent, 'qweb', { mode: 'quadlet' })
    expect(await setAppState(agent, 'qweb', 'stopped')).toEqual([
      { appId: 'qweb', step: 'stop', reason: 'stop wanted' },
    ])
    await uninstallApp(agent, 'qweb', { purge: false })
    stub.assertAllUsed()
    // The shared network's unit stays: another app may join archy-net.
    expect(await readdir(quadletDir)).toEqual(['archy-net.network'])
  })
})

describeGenerator('installQuadletUnits', () => {
  if (!generator) return

  it('installs nothing and names the problem when the generator refuses a unit', async () => {
    agent = await open([])
    await mkdir(quadletDir, { recursive: true })
    await writeFile(path.join(quadletDir, 'other.container'), '[Container]\nImage=x\n')
    const files = [
      { name: 'good.container', content: '[Container]\nImage=localhost/a:1\nContainerName=good\n' },
      { name: 'bad.container', content: '[Container]\nImage=localhost/b:1\nBogus=1\n' },
    ]
    await expect(
      installQuadletUnits({ exec: agentExec(), paths: { quadletDir }, generator }, files, []),
    ).rejects.toThrow(/the Quadlet generator refused the units .*unsupported key 'Bogus'/)
    expect(await readdir(quadletDir)).toEqual(['other.container'])
    expect(await readdir(path.dirname(quadletDir))).toEqual(['systemd'])
    stub.assertAllUsed()
  })
})

function agentExec(): Exec {
  return (command, args, options) =>
    command === generator ? execCommand(command, args, options) : stub(command, args, options)
}
