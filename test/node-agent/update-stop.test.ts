// Before an update snapshots a member's data, or a rollback puts it back, the member is stopped:
// in quadlet mode through systemd, which would start a container stopped behind its back again
// (Restart=always) and let the app write into the data being copied.
import { describe, expect, it } from 'vitest'

import { createStubExec, type ExecExpectation } from '../../node-agent/exec.js'
import { createPodman } from '../../node-agent/podman.js'
import { stopMember } from '../../node-agent/update.js'

const systemctlStop: ExecExpectation = {
  command: 'systemctl',
  args: ['--user', 'stop', 'web.service'],
}
const podmanStop = (name: string): ExecExpectation => ({
  command: 'podman',
  args: (args) => args[0] === 'stop' && args.at(-1) === name,
})

describe('stopMember', () => {
  it.each([
    { mode: 'quadlet', container: 'web', expected: systemctlStop, via: 'its unit' },
    { mode: 'quadlet', container: 'old_web', expected: podmanStop('old_web'), via: 'podman' },
    { mode: 'podman', container: 'web', expected: podmanStop('web'), via: 'podman' },
  ] as const)('stops $container in $mode mode through $via', async (row) => {
    const exec = createStubExec([row.expected])
    await stopMember({ exec, podman: createPodman({ exec }) }, row.mode, 'web', row.container)
    exec.assertAllUsed()
    expect(exec.calls).toHaveLength(1)
  })
})
