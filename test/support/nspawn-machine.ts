// A Debian system booted with systemd-nspawn for the reboot suite: systemd as its PID 1, commands
// run inside with nsenter, an orderly `systemctl poweroff`. The machine shares the host's network
// namespace, so what it publishes on 127.0.0.1 is the host's 127.0.0.1 and the other way round.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs'
import { execCommand, type ExecOptions, type ExecResult } from '../../node-agent/exec.js'
import { ArchyError } from '../../src/errors.js'

export interface MachineOptions {
  /** The machine's root directory (a copy: booting writes into it). */
  root: string
  /** Machine name, its host name in logs. */
  name: string
  /** Host directories bound read-only into the machine: host path to path inside. */
  bindReadOnly: Record<string, string>
  /** Where nspawn's console output goes. */
  consoleLog: string
}

export interface MachineUser {
  name: string
  uid: number
  home: string
}

export interface Machine {
  /** systemd-nspawn's pid. */
  pid: number
  /** The machine's PID 1 (systemd) as the host sees it. */
  leader: number
  /** A command inside the machine, as root. */
  run(command: string, args: string[], options?: ExecOptions): Promise<ExecResult>
  /** A command inside as `user` in its home, with its systemd user manager's environment. */
  runAs(user: MachineUser, args: string[], options?: ExecOptions): Promise<ExecResult>
  /** `systemctl poweroff` inside; `clean` unless nspawn had to be signalled or killed. */
  powerOff(): Promise<'clean' | 'terminated' | 'killed'>
  /** Whether systemd-nspawn still runs. */
  running(): boolean
}

const BOOT_TIMEOUT_MS = 120_000
const POWEROFF_TIMEOUT_MS = 90_000

/**
 * Boots the machine and waits until systemd reports it running (or degraded). What this host
 * needs is in the environment and flags below; deploy/README.md explains each one.
 */
export async function bootMachine(options: MachineOptions): Promise<Machine> {
  const binds = Object.entries(options.bindReadOnly).map(([from, to]) => `--bind-ro=${from}:${to}`)
  const args = [
    '--boot',
    `--directory=${options.root}`,
    `--machine=${options.name}`,
    // No system bus and no machined on the host: nspawn must neither register nor make a scope.
    '--register=no',
    '--keep-unit',
    // crun makes a session keyring for each container; nspawn's seccomp filter blocks keyctl.
    '--system-call-filter=@keyring',
    '--console=read-only',
    ...binds,
  ]
  const consoleFd = openSync(options.consoleLog, 'a')
  const child = spawn('systemd-nspawn', args, {
    detached: true,
    stdio: ['ignore', consoleFd, consoleFd],
    env: {
      ...process.env,
      // Quadlet runs containers with --cgroups=split, which needs cgroup v2; the host is hybrid.
      SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: '1',
      // netavark sets sysctls in Podman's rootless network namespace for every bridge network.
      SYSTEMD_NSPAWN_API_VFS_WRITABLE: 'network',
    },
  })
  closeSync(consoleFd)
  let exited = false
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  void exit.then(() => (exited = true))
  // A test process that dies must not leave a machine running: SIGTERM asks nspawn to halt it.
  const onExit = (): void => void (exited || child.kill('SIGTERM'))
  process.once('exit', onExit)

  const leader = await waitForLeader(child, () => exited)
  const machine = makeMachine(child, leader, exit, () => exited, onExit)
  await waitForBoot(machine, options.consoleLog)
  return machine
}

function makeMachine(
  child: ChildProcess,
  leader: number,
  exit: Promise<void>,
  hasExited: () => boolean,
  onExit: () => void,
): Machine {
  const run = (command: string, args: string[], options: ExecOptions = {}): Promise<ExecResult> =>
    execCommand('nsenter', [`--target=${leader}`, '--all', '--', command, ...args], {
      cwd: '/',
      ...options,
    })

  const waitExit = (ms: number): Promise<boolean> =>
    Promise.race([
      exit.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref()),
    ])

  return {
    pid: child.pid ?? 0,
    leader,
    run,
    runAs(user, args, options = {}) {
      const runtime = `/run/user/${user.uid}`
      const env = [
        `HOME=${user.home}`,
        `USER=${user.name}`,
        `XDG_RUNTIME_DIR=${runtime}`,
        `DBUS_SESSION_BUS_ADDRESS=unix:path=${runtime}/bus`,
        'PATH=/usr/local/bin:/usr/bin:/bin',
      ]
      const inHome = ['sh', '-c', 'cd "$HOME" && exec "$@"', 'sh', ...args]
      return run('runuser', ['-u', user.name, '--', 'env', '-i', ...env, ...inHome], options)
    },
    running: () => !hasExited(),
    async powerOff() {
      if (hasExited()) return 'clean'
      let outcome: 'clean' | 'terminated' | 'killed' = 'clean'
      // The manager may drop the connection as it goes down: its exit status says nothing.
      await run('systemctl', ['poweroff'], { allowFailure: true, timeoutMs: 30_000 }).catch(
        () => undefined,
      )
      if (!(await waitExit(POWEROFF_TIMEOUT_MS))) {
        // SIGTERM makes nspawn ask the machine's systemd to halt.
        outcome = 'terminated'
        child.kill('SIGTERM')
      }
      if (!(await waitExit(30_000))) {
        // Killing PID 1 ends the machine's whole PID namespace; nspawn then exits too.
        outcome = 'killed'
        killQuietly(leader)
        child.kill('SIGKILL')
        await waitExit(10_000)
      }
      process.removeListener('exit', onExit)
      return outcome
    },
  }
}

/** nspawn's child that became the machine's systemd, found through /proc. */
async function waitForLeader(child: ChildProcess, hasExited: () => boolean): Promise<number> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline && !hasExited()) {
    const leader = findProcess((comm, _cmdline, ppid) => comm === 'systemd' && ppid === child.pid)
    if (leader !== undefined) return leader
    await sleep(100)
  }
  throw new ArchyError('machine-boot', 'systemd-nspawn started no systemd (see its console log)')
}

async function waitForBoot(machine: Machine, consoleLog: string): Promise<void> {
  const deadline = Date.now() + BOOT_TIMEOUT_MS
  let state = ''
  while (Date.now() < deadline && machine.running()) {
    // Fails until the machine's system bus is up; then waits for the boot to finish.
    const result = await machine
      .run('systemctl', ['is-system-running', '--wait'], { allowFailure: true, timeoutMs: 60_000 })
      .catch(() => undefined)
    state = result?.stdout.trim() ?? ''
    if (state === 'running' || state === 'degraded') return
    await sleep(200)
  }
  const tail = readFileSync(consoleLog, 'utf8').split('\n').slice(-15).join('\n')
  throw new ArchyError(
    'machine-boot',
    `the machine did not boot (state ${state || 'none'}):\n${tail}`,
  )
}

/** The first process `match` accepts, read from /proc (comm may hold spaces: split after ')'). */
export function findProcess(
  match: (comm: string, cmdline: string, ppid: number) => boolean,
): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ')
      if (match(comm, cmdline, ppid)) return Number(entry)
    } catch {
      continue
    }
  }
  return undefined
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    return
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
