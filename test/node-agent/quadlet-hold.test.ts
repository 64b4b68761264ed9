// A stopped quadlet-mode app stays stopped across a reboot: its generated unit is wanted by
// default.target and cannot be disabled, so holdService masks it and a later start unmasks it.
// systemctl is stubbed; the mask link is made as systemctl would make it.
import { mkdir, mkdtemp, readlink, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { createStubExec, type ExecExpectation } from '../../node-agent/exec.js'
import {
  controlService,
  holdService,
  maskLinkOf,
  removeQuadletUnits,
} from '../../node-agent/quadlet-mode.js'

let dir: string
const savedConfigHome = process.env.XDG_CONFIG_HOME

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'archy-quadlet-hold-'))
  process.env.XDG_CONFIG_HOME = path.join(dir, 'config')
})

afterEach(async () => {
  if (savedConfigHome === undefined) delete process.env.XDG_CONFIG_HOME
  else process.env.XDG_CONFIG_HOME = savedConfigHome
  await rm(dir, { recursive: true, force: true })
})

function systemctl(...args: string[]): ExecExpectation {
  return { command: 'systemctl', args: ['--user', ...args] }
}

/** What `systemctl --user mask` leaves: a link to /dev/null, or a unit file of the user's. */
async function placeLink(target: '/dev/null' | 'own file'): Promise<void> {
  const link = maskLinkOf('web')
  await mkdir(path.dirname(link), { recursive: true })
  if (target === '/dev/null') await symlink('/dev/null', link)
  else await writeFile(link, '[Service]\n')
}

describe('holdService', () => {
  it('stops and masks the service in one systemctl call', async () => {
    const stub = createStubExec([systemctl('mask', '--now', 'web.service')])
    await holdService(stub, 'web')
    stub.assertAllUsed()
  })

  it("puts the mask link in the user's systemd directory", () => {
    expect(maskLinkOf('web')).toBe(path.join(dir, 'config/systemd/user/web.service'))
  })
})

describe('controlService', () => {
  it.each([
    { verb: 'start', link: '/dev/null', calls: [['unmask'], ['start']] },
    { verb: 'restart', link: '/dev/null', calls: [['unmask'], ['restart']] },
    { verb: 'start', link: 'none', calls: [['start']] },
    { verb: 'start', link: 'own file', calls: [['start']] },
    { verb: 'stop', link: '/dev/null', calls: [['stop']] },
  ] as const)('$verb with $link at the mask link: $calls', async ({ verb, link, calls }) => {
    if (link !== 'none') await placeLink(link)
    const stub = createStubExec(calls.map(([call]) => systemctl(call, 'web.service')))
    await controlService(stub, verb, 'web')
    stub.assertAllUsed()
    expect(stub.calls.map((call) => call.args[1])).toEqual(calls.map(([call]) => call))
  })
})

describe('removeQuadletUnits', () => {
  const paths = (): { quadletDir: string } => ({ quadletDir: path.join(dir, 'quadlet') })

  it('removes a mask link with the unit, so a reinstall starts at boot again', async () => {
    await placeLink('/dev/null')
    await mkdir(paths().quadletDir)
    await writeFile(path.join(paths().quadletDir, 'web.container'), '[Container]\n')
    const stub = createStubExec([systemctl('stop', 'web.service'), systemctl('daemon-reload')])
    await removeQuadletUnits({ exec: stub, paths: paths() }, ['web'])
    stub.assertAllUsed()
    await expect(readlink(maskLinkOf('web'))).rejects.toThrow(/ENOENT/)
  })

  it("leaves a unit file of the user's own under that name", async () => {
    await placeLink('own file')
    const stub = createStubExec([systemctl('stop', 'web.service'), systemctl('daemon-reload')])
    await removeQuadletUnits({ exec: stub, paths: paths() }, ['web'])
    await expect(readlink(maskLinkOf('web'))).rejects.toThrow(/EINVAL/)
  })
})
