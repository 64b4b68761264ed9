// The gate's steps as commands (nothing runs: the user is a recorder). Every install names podman
// mode: under auto a host with a user systemd manager gets quadlet mode, and the reboot step
// (containers stopped, the daemon's boot pass brings them back) is podman mode's path.
import { describe, expect, it } from 'vitest'

import { GATE_APPS } from './gate-apps.js'
import { roundSteps } from './gate-steps.js'
import type { GateUser } from './gate-user.js'

describe('roundSteps', () => {
  it('installs in podman mode explicitly', async () => {
    const commands: string[][] = []
    const result = { stdout: '', stderr: '', exitCode: 0, durationMs: 0 }
    const user = {
      name: 'gate',
      home: '/nonexistent',
      runtimeDir: '/nonexistent',
      run: () => Promise.reject(new Error('no command runs here')),
      archy: (args: string[]) => (commands.push(args), Promise.resolve(result)),
      spawnAgent: () => {
        throw new Error('no daemon runs here')
      },
    } satisfies GateUser
    const steps = roundSteps({ user, root: '/gate' }, GATE_APPS[0]!, 1)
    const install = steps.find(([name]) => name === 'install')!
    await install[1]()
    expect(commands).toEqual([
      [
        'agent',
        'install',
        GATE_APPS[0]!.id,
        '--mode',
        'podman',
        '--state',
        '/gate/state',
        '--data-root',
        '/gate/apps',
      ],
    ])
  })
})
