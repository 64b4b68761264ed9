// Choosing the runtime mode by probing: quadlet where Podman >= 4.4, its generator and a user
// manager are there, podman otherwise under auto, and a clear refusal when quadlet is asked for.
import { afterEach, describe, expect, it } from 'vitest'

import { createStubExec } from '../../node-agent/exec.js'
import { chooseRuntimeMode, parseModeOption } from '../../node-agent/runtime-mode.js'
import { findQuadlet } from '../support/quadlet.js'

const userManager = (state: string, exitCode = 0) =>
  createStubExec([
    {
      command: 'systemctl',
      args: ['--user', 'is-system-running'],
      result: { stdout: `${state}\n`, exitCode },
    },
  ])

afterEach(() => {
  delete process.env.ARCHY_QUADLET_BIN
})

describe('chooseRuntimeMode', () => {
  it('uses podman under auto where Podman is older than 4.4, asking nothing more', async () => {
    const exec = createStubExec([])
    expect(await chooseRuntimeMode('auto', exec, '4.3.1')).toBe('podman')
    await expect(chooseRuntimeMode('quadlet', exec, '4.3.1')).rejects.toThrow(
      '--mode quadlet: this host cannot run Quadlet: Podman 4.3.1 is older than 4.4; ' +
        'use --mode podman',
    )
  })

  it('names a missing generator', async () => {
    process.env.ARCHY_QUADLET_BIN = '/nonexistent/quadlet'
    const exec = createStubExec([])
    expect(await chooseRuntimeMode('auto', exec, '5.4.0')).toBe('podman')
    await expect(chooseRuntimeMode('quadlet', exec, '5.4.0')).rejects.toThrow(
      /no Quadlet generator at .*\(set ARCHY_QUADLET_BIN\)/,
    )
  })

  const generator = findQuadlet()
  const withGenerator = generator ? it : it.skip
  withGenerator('picks quadlet where a user manager answers, degraded or not', async () => {
    process.env.ARCHY_QUADLET_BIN = generator
    expect(await chooseRuntimeMode('auto', userManager('running'), '5.4.0')).toBe('quadlet')
    expect(await chooseRuntimeMode('auto', userManager('degraded', 1), '4.4.1')).toBe('quadlet')
    expect(await chooseRuntimeMode('auto', userManager('offline', 1), '5.4.0')).toBe('podman')
    await expect(chooseRuntimeMode('quadlet', userManager('offline', 1), '5.4.0')).rejects.toThrow(
      /no systemd user manager \(systemctl --user is-system-running: offline\)/,
    )
  })

  it('never probes when podman mode is asked for', async () => {
    expect(await chooseRuntimeMode('podman', createStubExec([]), '5.4.0')).toBe('podman')
  })
})

describe('parseModeOption', () => {
  const cases: [string | undefined, string][] = [
    [undefined, 'auto'],
    ['auto', 'auto'],
    ['quadlet', 'quadlet'],
    ['podman', 'podman'],
  ]
  for (const [value, mode] of cases) {
    it(`reads ${value ?? 'no value'} as ${mode}`, () => expect(parseModeOption(value)).toBe(mode))
  }
  it('refuses anything else naming --mode', () => {
    expect(() => parseModeOption('docker')).toThrow(
      '--mode: "docker" must be auto, quadlet or podman',
    )
  })
})
