// `npm run bench:agent`: one reconcile pass over 50 installed apps with nothing to do, through the
// real agent (store, verification, planning, decisions) and a Podman that answers at once over
// the exec seam, so what is timed is the agent's own work; every Podman call is counted.
import { mkdtempSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { openAgent } from '../node-agent/agent-context.js'
import type { Exec, ExecResult } from '../node-agent/exec.js'
import { runReconcilePass } from '../node-agent/reconcile-pass.js'
import { ExecError } from '../src/errors.js'
import { seedRunningInstalls } from '../test/support/seed-installs.js'

const APPS = 50
const PASSES = 10

const calls: string[] = []
let listing: unknown[] = []
const answer = (stdout: string): ExecResult => ({ stdout, stderr: '', exitCode: 0, durationMs: 0 })
const INFO = { host: { security: { rootless: true }, cgroupVersion: 'v2', cgroupControllers: [] } }
const exec: Exec = async (command, args) => {
  calls.push([command, ...args].join(' '))
  const line = args.join(' ')
  if (command === 'podman' && line === 'ps -a --format json') return answer(JSON.stringify(listing))
  if (command === 'podman' && line === 'info --format json') return answer(JSON.stringify(INFO))
  throw new ExecError('exec-failed', command, `bench: nothing to do, yet ${command} ${line}`)
}

const dir = mkdtempSync(join(tmpdir(), 'archy-bench-agent-'))
const agent = await openAgent({
  state: join(dir, 'state'),
  dataRoot: join(dir, 'apps'),
  hostIp: '127.0.0.1',
  exec,
})

// 50 installs, each one container running with the labels and hash the agent itself computes.
listing = await seedRunningInstalls(agent, APPS)

const times: number[] = []
const counts: number[] = []
for (let pass = 0; pass < PASSES; pass += 1) {
  calls.length = 0
  const started = performance.now()
  const result = await runReconcilePass(agent)
  times.push(performance.now() - started)
  counts.push(calls.length)
  if (result.steps.length > 0 || result.errors.length > 0) {
    const what = [...result.errors, ...result.steps.map((s) => `${s.appId} ${s.step}`)]
    throw new Error(`bench: the pass was not a no-op: ${what.slice(0, 3).join('; ')}`)
  }
}
await agent.close()

const sorted = [...times].sort((a, b) => a - b)
const ms = (value: number | undefined) => `${(value ?? 0).toFixed(1)} ms`
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
const load = loadavg().map((value) => value.toFixed(1))
console.log(`commit ${commit}, ${new Date().toISOString()}, load average ${load.join(' ')}`)
console.log(`reconcile pass, ${APPS} installed apps, nothing to do (${PASSES} passes)`)
console.log(`  first pass: ${ms(times[0])}, ${counts[0]} podman calls`)
console.log(`  median:     ${ms(sorted[Math.floor(PASSES / 2)])}, max ${ms(sorted.at(-1))}`)
console.log(`  podman calls per later pass: ${counts.slice(1).join(', ')}`)
console.log(`  target: under 500 ms and at most 2 calls`)
