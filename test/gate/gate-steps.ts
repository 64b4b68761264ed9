// One round of the lifecycle for one app: every step checks what the user would see (the page,
// the data, the secret, the containers) and throws a GateError naming what was wrong.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ArchyError } from '../../src/errors.js'
import type { GateApp } from './gate-apps.js'
import { startGateDaemon } from './gate-daemon.js'
import type { GateUser } from './gate-user.js'

export interface GateContext {
  user: GateUser
  /** The test user's folder holding `state/` and `apps/`. */
  root: string
}

export type GateStep = [name: string, run: () => Promise<void>]

/** The steps of one round, in order; each is timed and run by the caller. */
export function roundSteps(ctx: GateContext, app: GateApp, round: number): GateStep[] {
  const place = ['--state', join(ctx.root, 'state'), '--data-root', join(ctx.root, 'apps')]
  const archy = (...args: string[]) => ctx.user.archy([...args, ...place])
  // Podman mode, always: the reboot step stops the containers and lets the daemon's boot pass
  // bring them back, which is podman mode's path. Under auto a host with a user systemd manager
  // would get quadlet mode, where systemd (not the agent) owns the containers.
  const install = () => archy('agent', 'install', app.id, '--mode', 'podman')
  const marker = `round ${round} ${Math.random().toString(36).slice(2)}`
  let secret: string | undefined

  return [
    ['install', async () => void (await install())],
    [
      'ui reachable',
      async () => {
        secret = readSecret(ctx, app)
        await waitReachable(app, secret)
        await writeMarker(ctx, app, marker)
      },
    ],
    [
      'stop',
      async () => {
        await archy('agent', 'stop', app.id)
        await expectUnreachable(app)
        const states = await containerStates(ctx, app)
        if (states.some((state) => state.state === 'running')) fail('a container still runs')
      },
    ],
    ['start', async () => (await archy('agent', 'start', app.id), waitReachable(app, secret))],
    ['restart', async () => (await archy('agent', 'restart', app.id), waitReachable(app, secret))],
    [
      'reinstall',
      async () => {
        await archy('agent', 'uninstall', app.id)
        await install()
        if (readSecret(ctx, app) !== secret) fail('the secret changed on reinstall')
        await waitReachable(app, secret)
        await expectMarker(ctx, app, marker)
      },
    ],
    [
      'agent SIGKILL',
      async () => {
        const before = await containerStates(ctx, app)
        // Something for the pass to do: the app's own container stopped behind the agent's back
        // (a stack's dependency stopped alone is another matter: see the README's limitations).
        await ctx.user.run('podman', ['stop', '-t', '5', app.containers.at(-1) ?? app.id])
        const first = startGateDaemon(ctx.user, place)
        await first.waitFor('agent daemon started')
        await sleep(Math.floor(Math.random() * 400))
        await first.kill('SIGKILL')
        await convergeWithDaemon(ctx, app, place, before, secret)
        await expectMarker(ctx, app, marker)
      },
    ],
    [
      'reboot',
      async () => {
        const before = await containerStates(ctx, app)
        // Only the app's own: other apps (and other tests) share the user's Podman.
        await ctx.user.run('podman', ['stop', '-t', '5', ...app.containers])
        await expectUnreachable(app)
        await convergeWithDaemon(ctx, app, place, before, secret)
        await expectMarker(ctx, app, marker)
      },
    ],
    [
      'uninstall',
      async () => {
        await archy('agent', 'uninstall', app.id)
        if ((await containerStates(ctx, app)).length > 0) fail('a container is left')
        await expectMarker(ctx, app, marker)
        if (readSecret(ctx, app) !== secret) fail('uninstall changed the secret')
      },
    ],
    [
      'purge',
      async () => {
        await install()
        await waitReachable(app, secret)
        await archy('agent', 'uninstall', app.id, '--purge')
        if (existsSync(join(ctx.root, 'apps', app.dataDir))) fail('purge left the data')
        if (app.secretFile && existsSync(join(ctx.root, 'state', app.secretFile))) {
          fail('purge left the secret file')
        }
        if ((await containerStates(ctx, app)).length > 0) fail('a container is left')
      },
    ],
  ]
}

// A daemon's boot pass brings everything back without recreating a container.
async function convergeWithDaemon(
  ctx: GateContext,
  app: GateApp,
  place: string[],
  before: ContainerState[],
  secret: string | undefined,
): Promise<void> {
  const daemon = startGateDaemon(ctx.user, place)
  try {
    await daemon.waitFor('agent daemon started')
    await waitReachable(app, secret)
    const after = await containerStates(ctx, app)
    const ids = (states: ContainerState[]) => states.map((state) => `${state.name}=${state.id}`)
    if (ids(after).join() !== ids(before).join()) {
      fail(`containers recreated: ${ids(before).join(' ')} became ${ids(after).join(' ')}`)
    }
    if (after.some((state) => state.state !== 'running')) fail('a container is not running')
  } catch (error) {
    // What the daemon did and what the agent says, since the next round would start over.
    const status = await ctx.user.archy(['agent', 'status', ...place]).then(
      (result) => result.stdout,
      (failed: Error) => `status failed: ${failed.message}`,
    )
    const log = daemon.lines.slice(-20).join('\n  ')
    fail(`${(error as Error).message}\nagent status:\n${status}\ndaemon log:\n  ${log}`)
  } finally {
    await daemon.kill('SIGTERM')
  }
}

interface ContainerState {
  name: string
  id: string
  state: string
}

/** The app's containers, one per name at most (two of one name fail the gate). */
async function containerStates(ctx: GateContext, app: GateApp): Promise<ContainerState[]> {
  const listed = await ctx.user.run('podman', ['ps', '-a', '--format', 'json'])
  const all = JSON.parse(listed.stdout || '[]') as { Names: string[]; Id: string; State: string }[]
  const states: ContainerState[] = []
  for (const name of app.containers) {
    const found = all.filter((container) => container.Names.includes(name))
    if (found.length > 1) fail(`${found.length} containers named ${name}`)
    for (const container of found) states.push({ name, id: container.Id, state: container.State })
  }
  return states
}

// A page gets 60 s. The gate repairs nothing itself: a stack whose members cannot reach each
// other by name (Podman's DNS, README Limitations) is the agent's to repair, and fails the step.
async function waitReachable(app: GateApp, secret: string | undefined): Promise<void> {
  const last = await pollReachable(app, secret, 60_000)
  if (last !== undefined) fail(`${app.url} did not answer as expected in 60 s (${last})`)
}

/** Polls the page until it answers as expected (undefined) or `ms` pass (the last failure). */
async function pollReachable(
  app: GateApp,
  secret: string | undefined,
  ms: number,
): Promise<string | undefined> {
  const deadline = Date.now() + ms
  let last = 'not tried'
  while (Date.now() < deadline) {
    try {
      const response = await fetch(app.url, { signal: AbortSignal.timeout(5_000) })
      const body = await response.text()
      if (response.status === 200 && app.check(body, secret)) return undefined
      last = `status ${response.status}`
    } catch (error) {
      last = (error as Error).message
    }
    await sleep(200)
  }
  return last
}

async function expectUnreachable(app: GateApp): Promise<void> {
  const answered = await fetch(app.url, { signal: AbortSignal.timeout(3_000) }).then(
    () => true,
    () => false,
  )
  if (answered) fail(`${app.url} still answers`)
}

function readSecret(ctx: GateContext, app: GateApp): string | undefined {
  return app.secretFile ? readFileSync(join(ctx.root, 'state', app.secretFile), 'utf8') : undefined
}

// Inside the user namespace, as the app's own files are written.
async function writeMarker(ctx: GateContext, app: GateApp, marker: string): Promise<void> {
  const file = join(ctx.root, 'apps', app.dataDir, 'gate-marker')
  const script = 'printf %s "$1" > "$2"'
  await ctx.user.run('podman', ['unshare', 'sh', '-c', script, 'sh', marker, file])
}

async function expectMarker(ctx: GateContext, app: GateApp, marker: string): Promise<void> {
  const file = join(ctx.root, 'apps', app.dataDir, 'gate-marker')
  const found = existsSync(file) ? readFileSync(file, 'utf8') : '(missing)'
  if (found !== marker) fail(`the data file ${file} holds "${found}", not "${marker}"`)
}

function fail(message: string): never {
  throw new ArchyError('gate-failed', message)
}
