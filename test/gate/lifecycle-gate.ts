// `npm run gate -- --rounds N`: the whole lifecycle of every example app and stack,
// N times over, on real rootless Podman as the test user; a table of every step with its time,
// the commit and the date; exit 1 on the first failure.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { startRegistryNode } from '../../registry/index.js'
import { main as runArchy } from '../../src/cli/main.js'
import { GATE_APPS, GATE_NETWORKS, GATE_SECRETS, writeGateExamples } from './gate-apps.js'
import type { GateApp } from './gate-apps.js'
import { roundSteps, type GateContext } from './gate-steps.js'
import { prepareGateUser, type GateUser } from './gate-user.js'

const repo = resolve(import.meta.dirname, '../../..')
const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' } },
})
const rounds = Number(values.rounds)
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`gate: --rounds must be a whole number of at least 1, not "${values.rounds}"`)
  process.exit(2)
}

const commit = git(['rev-parse', '--short', 'HEAD'])
const dirty = git(['status', '--porcelain', '--untracked-files=no']) === '' ? '' : ' (dirty tree)'
console.log(
  `lifecycle gate: ${rounds} rounds, commit ${commit}${dirty}, ${new Date().toISOString()}`,
)

const images = join(repo, 'examples/apps/hello-web/image.tar')
if (!existsSync(images)) execFileSync('bash', ['examples/images/build.sh'], { cwd: repo })
const user = await prepareGateUser(repo).catch((error: Error) => {
  // As the suites do: without the Podman user a local run skips, CI fails.
  console.log(`gate skipped: ${error.message}`)
  process.exit(process.env.CI === 'true' ? 1 : 0)
})
await cleanUp(user)
// Each app has its own agent state and data root, so the two run side by side.
const roots = new Map<string, string>()
for (const app of GATE_APPS) {
  const dir = (await user.run('mktemp', ['-d', `/tmp/gate-agent-XXXXXX`])).stdout.trim()
  await user.run('chmod', ['755', dir])
  roots.set(app.id, dir)
}

const work = mkdtempSync(join(tmpdir(), 'gate-node-'))
const registry = await startRegistryNode({
  dataDir: join(work, 'data'),
  host: '127.0.0.1',
  port: 0,
  logLevel: 'warn',
})
const rows: string[] = []
const durations = new Map<string, number[]>()
let failure: string | undefined
const started = Date.now()
try {
  await publishExamples(registry.url, work)
  for (const dir of roots.values()) {
    await user.archy(['agent', 'add-registry', registry.url, '--did', registry.did, ...place(dir)])
  }
  console.log(`${'round'.padEnd(6)}${'app'.padEnd(16)}${'step'.padEnd(15)}${'seconds'.padStart(8)}`)
  for (let round = 1; round <= rounds && !failure; round += 1) {
    await Promise.all(GATE_APPS.map((app) => runRound(app, round)))
  }
} finally {
  await registry.close()
  await cleanUp(user)
  for (const dir of roots.values()) await user.run('podman', ['unshare', 'rm', '-rf', dir], true)
}

async function runRound(app: GateApp, round: number): Promise<void> {
  const ctx: GateContext = { user, root: roots.get(app.id) ?? '' }
  for (const [step, run] of roundSteps(ctx, app, round)) {
    if (failure) return
    const stepStarted = Date.now()
    let result = 'ok'
    try {
      await run()
    } catch (error) {
      result = `FAIL ${(error as Error).message}`
      failure = `round ${round}, ${app.id}, ${step}: ${(error as Error).message}`
    }
    const key = `${app.id.padEnd(16)}${step.padEnd(15)}`
    durations.set(key, [...(durations.get(key) ?? []), Date.now() - stepStarted])
    const seconds = ((Date.now() - stepStarted) / 1000).toFixed(2)
    const row = `${String(round).padEnd(6)}${app.id.padEnd(16)}${step.padEnd(15)}`
    rows.push(`${row}${seconds.padStart(8)}  ${result}`)
    console.log(rows.at(-1))
  }
}

const total = ((Date.now() - started) / 1000).toFixed(1)
// Never silent: how often a stack's names had to be made to resolve again (gate-steps.ts).
if (failure) {
  console.log(`\ngate FAILED after ${total} s: ${failure}`)
  process.exitCode = 1
} else {
  const steps = rows.length
  printSummary(durations)
  console.log(`\ngate passed: ${rounds} rounds, ${steps} steps in ${total} s, commit ${commit}`)
}

function place(dir: string): string[] {
  return ['--state', join(dir, 'state'), '--data-root', join(dir, 'apps')]
}

async function publishExamples(url: string, dir: string): Promise<void> {
  const key = join(dir, 'publisher.keys')
  const quiet = { out: () => undefined, err: () => undefined }
  if ((await runArchy(['keys', 'new', '--out', key], quiet)) !== 0) throw new Error('keys new')
  for (const files of writeGateExamples(join(repo, 'examples/apps'), join(dir, 'apps'))) {
    const errors: string[] = []
    const code = await runArchy(['publish', ...files, '--key', key, '--registry', url], {
      out: () => undefined,
      err: (text) => errors.push(text),
    })
    if (code !== 0) throw new Error(`publish ${files[0]}: ${errors.join(' ')}`)
  }
}

/** Removes what a gate run, this one or an interrupted one, left as the user. */
async function cleanUp(as: GateUser): Promise<void> {
  const names = GATE_APPS.flatMap((app) => app.containers)
  await as.run('podman', ['rm', '-f', '--ignore', ...names], true)
  for (const network of GATE_NETWORKS)
    await as.run('podman', ['network', 'rm', '-f', network], true)
  for (const secret of GATE_SECRETS) await as.run('podman', ['secret', 'rm', secret], true)
}

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim()
}

/** Per app and step: the fastest, median and slowest time over the rounds, in seconds. */
function printSummary(times: Map<string, number[]>): void {
  const format = (ms: number | undefined) => ((ms ?? 0) / 1000).toFixed(2).padStart(8)
  console.log(
    `\n${'app'.padEnd(16)}${'step'.padEnd(15)}${'min'.padStart(8)}` +
      `${'median'.padStart(8)}${'max'.padStart(8)}`,
  )
  for (const [key, values] of times) {
    const sorted = [...values].sort((a, b) => a - b)
    const median = sorted[Math.floor(sorted.length / 2)]
    console.log(`${key}${format(sorted[0])}${format(median)}${format(sorted.at(-1))}`)
  }
}
