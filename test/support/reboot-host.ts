// Whether this host can run the reboot suite: root, systemd-nspawn and nsenter, and the trixie
// tree test/support/trixie-rootfs.sh built (deploy/setup-host.sh runs it) and still current.
// Not ready: skipped locally naming the setup command, a failure under CI=true.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { describe, it } from 'vitest'
import { ArchyError } from '../../src/errors.js'
import type { MachineUser } from './nspawn-machine.js'
import { repoRoot } from './podman-user.js'

export const REBOOT_SETUP_HINT = 'sudo bash deploy/setup-host.sh'
export const ROOTFS_SCRIPT = `${repoRoot}test/support/trixie-rootfs.sh`
/** The tree to boot a copy of; ARCHY_REBOOT_ROOTFS names another one built by the script. */
export const ROOTFS = process.env.ARCHY_REBOOT_ROOTFS ?? '/var/cache/archy/rb-trixie'
/** The user the script makes in the tree to run the agent. */
export const GUEST_USER_NAME = 'rb-agent'

export interface RebootReadiness {
  ready: boolean
  reason: string
}

/** Why the reboot suite cannot run here, or that it can. */
export function rebootReadiness(): RebootReadiness {
  if (process.getuid?.() !== 0) return { ready: false, reason: 'systemd-nspawn needs root' }
  for (const tool of ['systemd-nspawn', 'nsenter']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      return { ready: false, reason: `${tool} is not installed` }
    }
  }
  const stamp = `${ROOTFS}/.archy-rootfs`
  if (!existsSync(stamp)) return { ready: false, reason: `no trixie tree at ${ROOTFS}` }
  const wanted = createHash('sha256').update(readFileSync(ROOTFS_SCRIPT)).digest('hex')
  if (readFileSync(stamp, 'utf8').trim() !== wanted) {
    return { ready: false, reason: `${ROOTFS} was built by an older trixie-rootfs.sh` }
  }
  return { ready: true, reason: 'ready' }
}

/** Runs the suite when the host is ready; otherwise skips it, or under CI=true fails it. */
export function describeReboot(name: string, fn: () => void): void {
  const state = rebootReadiness()
  if (state.ready) {
    describe(name, fn)
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('has systemd-nspawn and the trixie tree ready (required under CI=true)', () => {
        throw new ArchyError('reboot-not-ready', `${state.reason}: run ${REBOOT_SETUP_HINT}`)
      })
    })
  } else {
    describe.skip(`${name} (skipped: ${state.reason}; run ${REBOOT_SETUP_HINT})`, fn)
  }
}

/** The agent's user as the tree's /etc/passwd has it. */
export function readGuestUser(root: string, name = GUEST_USER_NAME): MachineUser {
  const line = readFileSync(`${root}/etc/passwd`, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${name}:`))
  const fields = line?.split(':') ?? []
  const uid = Number(fields[2])
  if (!Number.isInteger(uid) || fields[5] === undefined) {
    throw new ArchyError(
      'reboot-not-ready',
      `${root} has no user ${name}: run ${REBOOT_SETUP_HINT}`,
    )
  }
  return { name, uid, home: fields[5] }
}
