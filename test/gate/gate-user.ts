// Runs commands as the Podman test user (archy-test when the gate runs as root, else the current
// user): podman for setup and checks, the built CLI, and the agent daemon the gate kills.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { execCommand, type ExecResult } from '../../node-agent/exec.js'
import { ArchyError } from '../../src/errors.js'

export interface GateUser {
  name: string
  home: string
  runtimeDir: string
  /** A command as the user; throws on exit != 0 unless allowFailure. */
  run(command: string, args: string[], allowFailure?: boolean): Promise<ExecResult>
  /** `archy ...args` from the readable copy of the build, as the user. */
  archy(args: string[]): Promise<ExecResult>
  /** `archy agent run ...args` in its own process group, standard error piped. */
  spawnAgent(args: string[]): ChildProcess
}

const asRoot = process.getuid?.() === 0

/** The user, and a copy of package.json, bin/, dist/ and node_modules/ it can read. */
export async function prepareGateUser(repo: string, user = 'archy-test'): Promise<GateUser> {
  const account = asRoot ? lookUpUser(user) : { name: userInfo().username, ...currentUser() }
  const copy = mkdtempSync(join(tmpdir(), 'gate-cli-'))
  process.on('exit', () => rmSync(copy, { recursive: true, force: true }))
  chmodSync(copy, 0o755)
  const parts = ['package.json', 'bin', 'dist', 'node_modules']
  await execCommand('cp', ['-a', ...parts, copy], { cwd: repo, timeoutMs: 300_000 })
  await execCommand('chmod', ['-R', 'a+rX', copy], { timeoutMs: 120_000 })

  const wrap = (command: string, args: string[]): [string, string[]] => {
    if (!asRoot) return [command, args]
    const env = [`XDG_RUNTIME_DIR=${account.runtimeDir}`, `HOME=${account.home}`]
    return ['runuser', ['-u', account.name, '--', 'env', ...env, command, ...args]]
  }
  const options = { cwd: '/', env: { XDG_RUNTIME_DIR: account.runtimeDir } }
  const cli = join(copy, 'bin', 'archy.js')
  return {
    ...account,
    run(command, args, allowFailure = false) {
      const [wrapped, wrappedArgs] = wrap(command, args)
      return execCommand(wrapped, wrappedArgs, { ...options, timeoutMs: 300_000, allowFailure })
    },
    archy(args) {
      const [wrapped, wrappedArgs] = wrap(process.execPath, [cli, ...args])
      return execCommand(wrapped, wrappedArgs, { ...options, timeoutMs: 300_000 })
    },
    spawnAgent(args) {
      const [wrapped, wrappedArgs] = wrap(process.execPath, [cli, 'agent', 'run', ...args])
      // Its own group: a SIGKILL to the group reaches the agent under runuser at once.
      return spawn(wrapped, wrappedArgs, {
        ...options,
        env: { ...process.env, ...options.env },
        detached: true,
        stdio: ['ignore', 'ignore', 'pipe'],
      })
    },
  }
}

function lookUpUser(name: string): { name: string; home: string; runtimeDir: string } {
  const entry = spawnSync('getent', ['passwd', name], { encoding: 'utf8' })
  const fields = entry.status === 0 ? entry.stdout.trim().split(':') : []
  if (fields.length < 6) {
    throw new ArchyError('gate-user', `user ${name} does not exist: run deploy/setup-host.sh`)
  }
  return { name, home: fields[5] ?? '/', runtimeDir: `/run/user/${fields[2]}` }
}

function currentUser(): { home: string; runtimeDir: string } {
  const info = userInfo()
  return { home: info.homedir, runtimeDir: process.env.XDG_RUNTIME_DIR ?? `/run/user/${info.uid}` }
}
