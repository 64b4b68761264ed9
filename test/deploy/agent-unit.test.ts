// deploy/archy-agent.service as the reboot test runs it: the daemon from the checkout in the
// user's home, started at boot, and nothing that turns on no_new_privs, under which rootless
// Podman's newuidmap cannot map the user's subordinate ids (systemd.exec(5) lists the settings
// that imply NoNewPrivileges=).
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseUnit, splitCommandLine, unitValue } from './registry/unit-file.js'

const unit = parseUnit(readFileSync('deploy/archy-agent.service', 'utf8'))

describe('deploy/archy-agent.service', () => {
  it('runs archy agent run from ~/archipelago-registry and is wanted at boot', () => {
    expect(splitCommandLine(unitValue(unit, 'Service', 'ExecStart') ?? '')).toEqual([
      '/usr/bin/node',
      '%h/archipelago-registry/bin/archy.js',
      'agent',
      'run',
    ])
    expect(unitValue(unit, 'Install', 'WantedBy')).toBe('default.target')
  })

  it.each([
    'NoNewPrivileges',
    'SystemCallFilter',
    'SystemCallArchitectures',
    'RestrictAddressFamilies',
    'RestrictNamespaces',
    'RestrictSUIDSGID',
    'PrivateDevices',
    'ProtectKernelTunables',
    'ProtectKernelModules',
    'ProtectKernelLogs',
    'ProtectClock',
    'DynamicUser',
    'MemoryDenyWriteExecute',
    'RestrictRealtime',
    'LockPersonality',
  ])('sets no %s, which would keep newuidmap from gaining its privileges', (key) => {
    expect(unit.get('Service')?.has(key)).toBe(false)
  })
})
