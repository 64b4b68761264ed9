// What the reboot suite needs around its machine: waiting for a condition with a deadline, the
// apps' ports free, powering off a machine an earlier run left behind, and putting back the one
// host network setting a booting systemd raises (the machine shares the host's network).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { execCommand } from '../../node-agent/exec.js'
import { ArchyError } from '../../src/errors.js'
import { findProcess } from '../support/nspawn-machine.js'

/** Polls `check` every 250 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function pollUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await sleep(250)
  }
  throw new ArchyError('reboot-timeout', `waited ${timeoutMs / 1000} s for ${what}`)
}

/** Fails naming the port when something on 127.0.0.1 already listens on one of `ports`. */
export async function requireFreePorts(ports: number[]): Promise<void> {
  for (const port of ports) {
    const taken = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port })
      socket.once('connect', () => (socket.destroy(), resolve(true)))
      socket.once('error', () => resolve(false))
    })
    if (taken) {
      throw new ArchyError('reboot-port', `127.0.0.1:${port} is in use; the apps need it free`)
    }
  }
}

/**
 * Remembers a host sysctl (a path under /proc/sys) and returns a function that writes the
 * remembered value back: the machine's systemd raises net.unix.max_dgram_qlen as it boots. The
 * value is kept in `memo` until it is back, so a run killed before that leaves the original for
 * the next run rather than the raised value.
 */
export function useHostSysctl(key: string, memo: string): () => void {
  const file = `/proc/sys/${key}`
  if (!existsSync(memo)) writeFileSync(memo, readFileSync(file, 'utf8'))
  const before = readFileSync(memo, 'utf8')
  return () => {
    if (readFileSync(file, 'utf8') !== before) writeFileSync(file, before)
    rmSync(memo, { force: true })
  }
}

/**
 * Powers off a machine booted from `${work}/root` that an earlier, killed run left running:
 * `systemctl poweroff` inside, then SIGTERM to nspawn, then SIGKILL to its PID 1.
 */
export async function stopStaleMachine(work: string): Promise<void> {
  const nspawn = findProcess(
    (comm, cmdline) => comm === 'systemd-nspawn' && cmdline.includes(`--directory=${work}/root`),
  )
  if (nspawn === undefined) return
  const leader = findProcess((comm, _cmdline, ppid) => comm === 'systemd' && ppid === nspawn)
  if (leader !== undefined) {
    await execCommand('nsenter', [`--target=${leader}`, '--all', '--', 'systemctl', 'poweroff'], {
      allowFailure: true,
      timeoutMs: 30_000,
    }).catch(() => undefined)
  }
  for (const signal of [undefined, 'SIGTERM', 'SIGKILL'] as const) {
    if (signal === 'SIGKILL' && leader !== undefined) signalQuietly(leader, signal)
    if (signal !== undefined) signalQuietly(nspawn, signal)
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline && alive(nspawn)) await sleep(250)
    if (!alive(nspawn)) return
  }
  throw new ArchyError('machine-stale', `systemd-nspawn ${nspawn} for ${work}/root does not stop`)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    return
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
