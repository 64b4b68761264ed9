// Data directory snapshots taken before an update (DESIGN.md §2: every update has a rollback
// path): `cp --reflink=always` inside the user namespace, so files of the app's uid keep their
// owners and the copy costs no space until it diverges. Where the filesystem cannot reflink
// (ext4), no snapshot is taken and a rollback restores image and config only.
import { lstat, mkdir } from 'node:fs/promises'
import path from 'node:path'

import { ExecError } from '../src/errors.js'
import type { Agent } from './agent-context.js'
import { appDataDir } from './agent-paths.js'

const COPY_TIMEOUT_MS = 600_000

export interface Snapshot {
  appId: string
  dir: string
}

export interface SnapshotResult {
  snapshots: Snapshot[]
  /** Why no snapshot was taken; undefined when every existing data directory was copied. */
  warning?: string
}

/** Where an app's snapshots live: beside the app directories, where no bind mount reaches. */
export function snapshotsDirOf(agent: Pick<Agent, 'paths'>, appId: string): string {
  return path.join(agent.paths.dataRoot, '.snapshots', appId)
}

/** Reflink-copies each member's data directory; on the first refusal, keeps none of them. */
export async function snapshotAppData(
  agent: Pick<Agent, 'paths' | 'exec'>,
  appIds: string[],
  label: string,
): Promise<SnapshotResult> {
  const snapshots: Snapshot[] = []
  for (const appId of appIds) {
    const source = appDataDir(agent.paths, appId)
    if (!(await pathExists(source))) continue
    const parent = snapshotsDirOf(agent, appId)
    await mkdir(parent, { recursive: true, mode: 0o700 })
    const dir = path.join(parent, label)
    try {
      await unshare(agent, ['cp', '-a', '--reflink=always', '--', source, dir])
    } catch (error) {
      await unshare(agent, ['rm', '-rf', '--', dir])
      for (const taken of snapshots) await unshare(agent, ['rm', '-rf', '--', taken.dir])
      const reason = error instanceof ExecError ? error.stderr || error.message : String(error)
      return {
        snapshots: [],
        warning:
          `no data snapshot: ${agent.paths.dataRoot} cannot make reflink copies ` +
          `(${lastLine(reason)}); a rollback restores the previous image and config, ` +
          'and the data stays as the new release left it',
      }
    }
    snapshots.push({ appId, dir })
  }
  return { snapshots }
}

/**
 * Puts each snapshot back in place of its data directory. The data the failed release left is
 * moved aside beside the snapshot (`<label>.failed`), never deleted.
 */
export async function restoreAppData(
  agent: Pick<Agent, 'paths' | 'exec'>,
  snapshots: Snapshot[],
): Promise<void> {
  for (const { appId, dir } of snapshots) {
    const target = appDataDir(agent.paths, appId)
    if (await pathExists(target)) {
      await unshare(agent, ['mv', '-T', '--', target, `${dir}.failed-${Date.now()}`])
    }
    await unshare(agent, ['cp', '-a', '--reflink=always', '--', dir, target])
  }
}

function unshare(agent: Pick<Agent, 'exec'>, args: string[]): Promise<unknown> {
  return agent.exec('podman', ['unshare', ...args], { timeoutMs: COPY_TIMEOUT_MS })
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? ''
}

async function pathExists(file: string): Promise<boolean> {
  try {
    await lstat(file)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}
