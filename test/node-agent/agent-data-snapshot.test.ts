// Data snapshots before an update, through the exec seam: reflink copies inside the user
// namespace; a filesystem that cannot reflink leaves no partial snapshot and says why; a restore
// moves the failed release's data aside (never deletes it) and copies the snapshot back.
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { resolveAgentPaths } from '../../node-agent/agent-paths.js'
import { restoreAppData, snapshotAppData } from '../../node-agent/data-snapshot.js'
import { createStubExec } from '../../node-agent/exec.js'

let dir: string
let paths: ReturnType<typeof resolveAgentPaths>

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'agent-snapshot-'))
  paths = resolveAgentPaths({ state: path.join(dir, 'state'), dataRoot: path.join(dir, 'apps') })
  await mkdir(path.join(dir, 'apps', 'web'), { recursive: true })
  await mkdir(path.join(dir, 'apps', 'db'), { recursive: true })
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const copy = (from: string, to: string): string[] => [
  'unshare',
  'cp',
  '-a',
  '--reflink=always',
  '--',
  from,
  to,
]

describe('snapshotAppData', () => {
  it('reflink-copies each existing data directory beside the app directories', async () => {
    const snapshots = path.join(dir, 'apps', '.snapshots')
    const exec = createStubExec([
      { command: 'podman', args: copy(`${dir}/apps/db`, `${snapshots}/db/1.0.0-1`) },
      { command: 'podman', args: copy(`${dir}/apps/web`, `${snapshots}/web/1.0.0-1`) },
    ])
    const result = await snapshotAppData({ paths, exec }, ['db', 'web', 'absent'], '1.0.0-1')
    exec.assertAllUsed()
    expect(result).toEqual({
      snapshots: [
        { appId: 'db', dir: `${snapshots}/db/1.0.0-1` },
        { appId: 'web', dir: `${snapshots}/web/1.0.0-1` },
      ],
    })
  })

  it('keeps no snapshot when the filesystem cannot reflink, and says so', async () => {
    const snapshots = path.join(dir, 'apps', '.snapshots')
    const refusal = "cp: failed to clone '/x': Operation not supported"
    const exec = createStubExec([
      { command: 'podman', args: copy(`${dir}/apps/db`, `${snapshots}/db/v`) },
      {
        command: 'podman',
        args: copy(`${dir}/apps/web`, `${snapshots}/web/v`),
        result: { exitCode: 1, stderr: refusal },
      },
      { command: 'podman', args: ['unshare', 'rm', '-rf', '--', `${snapshots}/web/v`] },
      { command: 'podman', args: ['unshare', 'rm', '-rf', '--', `${snapshots}/db/v`] },
    ])
    const result = await snapshotAppData({ paths, exec }, ['db', 'web'], 'v')
    exec.assertAllUsed()
    expect(result.snapshots).toEqual([])
    expect(result.warning).toBe(
      `no data snapshot: ${dir}/apps cannot make reflink copies (${refusal}); a rollback ` +
        'restores the previous image and config, and the data stays as the new release left it',
    )
  })
})

describe('restoreAppData', () => {
  it('moves the failed data aside and copies the snapshot back', async () => {
    const snapshot = path.join(dir, 'apps', '.snapshots', 'web', 'v')
    const exec = createStubExec([
      {
        command: 'podman',
        args: (args) =>
          args.join(' ').startsWith(`unshare mv -T -- ${dir}/apps/web ${snapshot}.failed-`),
      },
      { command: 'podman', args: copy(snapshot, `${dir}/apps/web`) },
    ])
    await restoreAppData({ paths, exec }, [{ appId: 'web', dir: snapshot }])
    exec.assertAllUsed()
  })
})
