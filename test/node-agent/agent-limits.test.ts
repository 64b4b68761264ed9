// Resource limits, the one applied key that degrades to a warning (DESIGN.md §5): which limits a
// host can enforce from `podman info`, and an install that goes on without the missing ones,
// saying so in its result and in `archy agent status`.
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { openAgent } from '../../node-agent/agent-context.js'
import { addRegistry } from '../../node-agent/catalog-follower.js'
import { createStubExec, type ExecExpectation } from '../../node-agent/exec.js'
import { installApp } from '../../node-agent/install.js'
import { parseInfo, type PodmanInfo } from '../../node-agent/podman-output.js'
import { describeLimitSupport, type LimitSupport } from '../../node-agent/resource-limits.js'
import { collectStatus, renderStatus } from '../../node-agent/status.js'
import {
  buildCatalog,
  makePublisher,
  signRawRelease,
  startTestRegistry,
  type TestRegistry,
} from './agent-test-registry.js'

const V1 = 'rootless Podman on cgroup v1'
const noController = (name: string): string =>
  `cgroup v2 without the ${name} controller delegated to this user`

describe('describeLimitSupport', () => {
  const cases: [string, PodmanInfo, LimitSupport][] = [
    ['rootless cgroup v1', { cgroupVersion: 'v1', rootless: true }, { memory: V1, cpu: V1 }],
    ['rootful cgroup v1', { cgroupVersion: 'v1', rootless: false }, {}],
    [
      'cgroup v2 with both controllers',
      { cgroupVersion: 'v2', rootless: true, cgroupControllers: ['cpu', 'memory', 'pids'] },
      {},
    ],
    [
      'cgroup v2 without memory',
      { cgroupVersion: 'v2', rootless: true, cgroupControllers: ['cpu', 'pids'] },
      { memory: noController('memory') },
    ],
    [
      'cgroup v2 without cpu (cpuset is not cpu)',
      { cgroupVersion: 'v2', rootless: true, cgroupControllers: ['cpuset', 'memory'] },
      { cpu: noController('cpu') },
    ],
    [
      'cgroup v2 with no controllers delegated',
      { cgroupVersion: 'v2', rootless: true, cgroupControllers: [] },
      { memory: noController('memory'), cpu: noController('cpu') },
    ],
    ['cgroup v2 that does not report controllers', { cgroupVersion: 'v2', rootless: true }, {}],
  ]
  it.each(cases)('on %s', (_label, info, support) => {
    expect(describeLimitSupport(info)).toEqual(support)
  })

  it('reads the controllers from podman info, ignoring entries that are not strings', () => {
    const stdout = JSON.stringify({
      host: { cgroupVersion: 'v2', cgroupControllers: ['cpu', 7, 'pids'], security: {} },
    })
    expect(parseInfo(stdout)).toEqual({
      cgroupVersion: 'v2',
      rootless: false,
      cgroupControllers: ['cpu', 'pids'],
    })
  })
})

let dir: string
let registry: TestRegistry

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'agent-limits-'))
  registry = await startTestRegistry()
})

afterEach(async () => {
  await registry.close()
  await rm(dir, { recursive: true, force: true })
})

/** Installs a limited app over an existing container; returns the warnings, status and unit. */
async function installLimited(controllers: string[]) {
  const host = { cgroupVersion: 'v2', cgroupControllers: controllers, security: { rootless: true } }
  const version: ExecExpectation = {
    command: 'podman',
    args: ['version', '--format', '{{.Client.Version}}'],
    result: { stdout: '4.3.1\n' },
    times: 2,
  }
  const running = [{ Id: 'abc123', Names: ['old-app'], State: 'running', Image: 'x', Labels: {} }]
  const stub = createStubExec([
    version,
    {
      command: 'podman',
      args: ['info', '--format', 'json'],
      result: { stdout: JSON.stringify({ host }) },
    },
    {
      command: 'podman',
      args: ['ps', '-a', '--format', 'json'],
      result: { stdout: JSON.stringify(running) },
      times: 2,
    },
  ])
  const agent = await openAgent({
    state: path.join(dir, 'state'),
    dataRoot: path.join(dir, 'apps'),
    hostIp: '192.0.2.10',
    exec: stub,
  })
  const app = {
    id: 'limited',
    name: 'Limited',
    version: '1.0.0',
    container: { image: 'registry.example/limited:1.0.0', legacy_names: ['old-app'] },
    resources: { memory_limit: '256Mi', cpu_limit: 0.5 },
  }
  registry.catalog = buildCatalog(registry, [signRawRelease(makePublisher(), [{ app }])], 1)
  await addRegistry(agent.store, registry.url, registry.operator.did)
  try {
    const result = await installApp(agent, 'limited', { mode: 'podman' })
    const status = renderStatus(await collectStatus(agent))
    const unitsDir = path.join(dir, 'state', 'units', 'limited')
    const unitName = (await readdir(unitsDir)).find((name) => name.endsWith('.container'))
    const unit = await readFile(path.join(unitsDir, unitName!), 'utf8')
    expect(unit).toContain('ContainerName=limited')
    stub.assertAllUsed()
    return { warnings: result.warnings, status, unit }
  } finally {
    await agent.close()
  }
}

describe('installApp on a host that cannot enforce limits', () => {
  const memoryWarning =
    `limited: app.resources.memory_limit: this host cannot enforce it (${noController('memory')}); ` +
    'the app runs without a memory limit'
  const cpuWarning =
    `limited: app.resources.cpu_limit: this host cannot enforce it (${noController('cpu')}); ` +
    'the app runs without a CPU limit'

  it('goes on without both limits, warning per key, and status shows the warnings', async () => {
    const { warnings, status, unit } = await installLimited(['cpuset', 'pids'])
    expect(warnings).toEqual([memoryWarning, cpuWarning])
    expect(status).toContain(`  warning: ${memoryWarning}`)
    expect(status).toContain(`  warning: ${cpuWarning}`)
    expect(unit).not.toContain('268435456')
    expect(unit).not.toContain('--cpus')
  })

  it('keeps the limit the host can enforce and warns only about the other', async () => {
    const { warnings, unit } = await installLimited(['memory'])
    expect(warnings).toEqual([cpuWarning])
    expect(unit).toMatch(/^(Memory=|PodmanArgs=.*--memory=)268435456\b/m)
    expect(unit).not.toContain('--cpus')
  })

  it('applies both limits without a warning when both controllers are delegated', async () => {
    const { warnings, status, unit } = await installLimited(['cpu', 'memory'])
    expect(warnings).toEqual([])
    expect(status).not.toContain('warning:')
    expect(unit).toMatch(/^(Memory=|PodmanArgs=.*--memory=)268435456\b/m)
    expect(unit).toContain('--cpus=0.5')
  })
})
