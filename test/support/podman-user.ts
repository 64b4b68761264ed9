// Harness for tests on real rootless Podman: as root they run as the user deploy/setup-host.sh
// made (archy-test), otherwise as the current user. Not ready: skipped locally, a failure in CI.
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'vitest'
import { execCommand } from '../../node-agent/exec.js'
import type { Exec } from '../../node-agent/exec.js'
import { createPodman } from '../../node-agent/podman.js'
import type { Podman } from '../../node-agent/podman.js'
import { ArchyError } from '../../src/errors.js'

// ARCHY_TEST_USER picks another user set up by deploy/setup-host.sh USER.
export const TEST_USER = process.env.ARCHY_TEST_USER ?? 'archy-test'
export const SETUP_HINT = `sudo bash deploy/setup-host.sh ${TEST_USER}`
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

export interface PodmanReadiness {
  ready: boolean
  reason: string
  user?: string
  uid?: number
  home?: string
  runtimeDir?: string
}

let readiness: PodmanReadiness | undefined

/** Whether rootless Podman works for the test user; checked once per process. */
export function podmanReadiness(): PodmanReadiness {
  readiness ??= checkReadiness()
  return readiness
}

function checkReadiness(): PodmanReadiness {
  const asRoot = process.getuid?.() === 0
  const account = asRoot ? lookUpUser(TEST_USER) : currentUser()
  if (!account) return { ready: false, reason: `user ${TEST_USER} does not exist` }

  const { user, uid, home } = account
  const runtimeDir = asRoot
    ? `/run/user/${uid}`
    : (process.env.XDG_RUNTIME_DIR ?? `/run/user/${uid}`)
  if (!existsSync(runtimeDir) || statSync(runtimeDir).uid !== uid) {
    return { ready: false, reason: `${runtimeDir} is missing or not owned by ${user}` }
  }

  const base: PodmanReadiness = { ready: false, reason: '', user, uid, home, runtimeDir }
  const [command, args] = wrapCommand(base, 'podman', [
    'info',
    '--format',
    '{{.Host.Security.Rootless}}',
  ])
  const probe = spawnSync(command, args, {
    cwd: '/',
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...envFor(base) },
  })
  if (probe.error) return { ready: false, reason: `podman cannot run: ${probe.error.message}` }
  if (probe.status !== 0) {
    const last = probe.stderr.trim().split('\n').pop() ?? ''
    return { ready: false, reason: `podman info fails for ${user}: ${last}` }
  }
  if (probe.stdout.trim() !== 'true') {
    return { ready: false, reason: `podman is not rootless for ${user}` }
  }
  return { ...base, ready: true, reason: `rootless podman ready for ${user}` }
}

/** Runs the suite when Podman is ready; otherwise skips it, or under CI=true fails it. */
export function describePodman(name: string, fn: () => void): void {
  const state = podmanReadiness()
  if (state.ready) {
    describe(name, fn)
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('has rootless Podman ready (required under CI=true)', () => {
        throw new ArchyError('podman-not-ready', `${state.reason}: run ${SETUP_HINT}`)
      })
    })
  } else {
    describe.skip(`${name} (skipped: ${state.reason}; run ${SETUP_HINT})`, fn)
  }
}

/** An Exec that runs any command (usually podman) as the test user, for setup and cleanup. */
export function podmanAsTestUser(): Exec {
  const state = requireReady()
  return (command, args, options = {}) => {
    const [wrapped, wrappedArgs] = wrapCommand(state, command, args)
    return execCommand(wrapped, wrappedArgs, {
      cwd: '/',
      ...options,
      env: { ...envFor(state), ...options.env },
    })
  }
}

/** The Podman driver, running as the test user. */
export function testUserPodman(): Podman {
  return createPodman({ exec: podmanAsTestUser() })
}

let readableCopy: Promise<string> | undefined

/** A copy of package.json, bin/, dist/ and node_modules/ the test user can read (once per process). */
export function prepareReadableCopy(): Promise<string> {
  readableCopy ??= copyForTestUser()
  return readableCopy
}

async function copyForTestUser(): Promise<string> {
  if (!existsSync(join(repoRoot, 'dist'))) {
    throw new ArchyError('not-built', `${repoRoot}dist is missing: run npm run build`)
  }
  const dir = mkdtempSync(join(tmpdir(), 'archy-cli-'))
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
  chmodSync(dir, 0o755)
  const parts = ['package.json', 'bin', 'dist', 'node_modules']
  await execCommand('cp', ['-a', ...parts, dir], { cwd: repoRoot, timeoutMs: 300_000 })
  await execCommand('chmod', ['-R', 'a+rX', dir], { timeoutMs: 120_000 })
  return dir
}

/** Runs the built CLI (`node <copy>/bin/archy.js ...args`) as the test user; never throws on exit. */
export async function runArchyAsTestUser(
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const state = requireReady()
  const copy = await prepareReadableCopy()
  const [command, wrappedArgs] = wrapCommand(state, process.execPath, [
    join(copy, 'bin', 'archy.js'),
    ...args,
  ])
  const result = await execCommand(command, wrappedArgs, {
    cwd: state.home ?? '/',
    env: { ...envFor(state), ...options.env },
    timeoutMs: options.timeoutMs ?? 120_000,
    allowFailure: true,
  })
  return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr }
}

function requireReady(): PodmanReadiness {
  const state = podmanReadiness()
  if (!state.ready) {
    throw new ArchyError('podman-not-ready', `${state.reason}: run ${SETUP_HINT}`)
  }
  return state
}

// As root, `runuser` switches to the test user; the environment passes through it unchanged,
// so values (secrets) travel in the environment, never in argv.
function wrapCommand(state: PodmanReadiness, command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, args]
  const user = state.user ?? TEST_USER
  const setEnv = [`XDG_RUNTIME_DIR=${state.runtimeDir ?? ''}`, `HOME=${state.home ?? ''}`]
  return ['runuser', ['-u', user, '--', 'env', ...setEnv, command, ...args]]
}

// Without runuser (not root) the runtime directory comes through the environment instead.
function envFor(state: PodmanReadiness): Record<string, string> {
  const runtimeDir = state.runtimeDir ?? ''
  if (process.getuid?.() === 0 || process.env.XDG_RUNTIME_DIR === runtimeDir) return {}
  return { XDG_RUNTIME_DIR: runtimeDir }
}

function lookUpUser(user: string): { user: string; uid: number; home: string } | undefined {
  const entry = spawnSync('getent', ['passwd', user], { encoding: 'utf8' })
  const fields = entry.status === 0 ? entry.stdout.trim().split(':') : []
  const uid = Number(fields[2])
  if (fields.length < 6 || !Number.isInteger(uid)) return undefined
  return { user, uid, home: fields[5] ?? '/' }
}

function currentUser(): { user: string; uid: number; home: string } {
  const info = userInfo()
  return { user: info.username, uid: info.uid, home: info.homedir }
}
