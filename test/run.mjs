// `npm test`: builds, checks format, lint and types, then runs each suite in turn and prints
// its time, and a closing count. Suites run one after another so Podman suites never share the
// machine. Under CI=true a skipped test is a failure: CI must run everything.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const SUITES = (
  process.env.ARCHY_TEST_SUITES ?? 'src,relay,registry,trust,node-agent,deploy,e2e,reboot,gate'
).split(',')
const suites = SUITES.filter(
  (name) => name !== 'gate' && existsSync(`test/${name}`) && hasTests(`test/${name}`),
)
const reports = mkdtempSync(join(tmpdir(), 'archy-test-reports-'))

const steps = [
  ['build', 'npx', ['tsc', '-p', 'tsconfig.build.json']],
  ['typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']],
  ['format', 'npx', ['prettier', '--check', '--log-level', 'warn', '.']],
  ['lint', 'npx', ['eslint', '.']],
  ...suites.map((name) => [
    `suite ${name}`,
    'npx',
    ['vitest', 'run', `test/${name}`, '--reporter=default', '--reporter=json'],
    join(reports, `${name}.json`),
  ]),
  // The lifecycle gate (test/gate/): 3 rounds of every example app's lifecycle on real Podman.
  ...(SUITES.includes('gate')
    ? [['gate', 'npm', ['run', 'gate', '--', '--rounds', process.env.ARCHY_GATE_ROUNDS ?? '3']]]
    : []),
]

// Podman's helpers outlive the commands that start them (aardvark-dns, conmon) and are reparented
// to the nearest subreaper, else to PID 1. A PID 1 that does not reap them (this project's CI
// machines) leaves them defunct, and Podman then takes a dead aardvark-dns for a running one
// (README, Limitations). Suites and the gate run under `tini -s`, which reaps as systemd would.
const reaper = findOnPath('tini')
if (!reaper) console.log('tini not found: Podman suites run without a subreaper (README)')

const times = []
const count = { passed: 0, failed: 0, skipped: 0 }
const failures = []
let failed = false
for (const [name, command, args, report] of steps) {
  const started = Date.now()
  console.log(`\n=== ${name}`)
  const extra = report ? [`--outputFile.json=${report}`] : []
  const argv = [command, ...args, ...extra]
  const reaped = reaper && name !== 'build' && !['typecheck', 'format', 'lint'].includes(name)
  const [program, ...rest] = reaped ? [reaper, '-s', '-g', '--', ...argv] : argv
  const result = spawnSync(program, rest, { stdio: 'inherit' })
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  const ok = result.status === 0
  times.push(`${ok ? 'ok  ' : 'FAIL'} ${name.padEnd(20)} ${seconds.padStart(7)} s`)
  if (!ok) failed = true
  if (report) addCounts(report)
}

// CI shows only the end of the output, so the failed tests are named again here, with the first
// line of each failure.
if (failures.length > 0) {
  console.log('\n=== failed tests')
  for (const line of failures) console.log(line)
}
console.log('\n=== times')
for (const line of times) console.log(line)
if (process.env.CI === 'true' && count.skipped > 0) {
  console.log(`\n${count.skipped} tests were skipped, and CI=true allows none`)
  failed = true
}
console.log(`\ntests: ${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped`)
process.exitCode = failed ? 1 : 0

function findOnPath(program) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, program))) return join(dir, program)
  }
  return undefined
}

function hasTests(dir) {
  return readdirSync(dir, { recursive: true }).some((file) => String(file).endsWith('.test.ts'))
}

function addCounts(report) {
  if (!existsSync(report)) {
    count.failed += 1
    return
  }
  const json = JSON.parse(readFileSync(report, 'utf8'))
  count.passed += json.numPassedTests ?? 0
  count.failed += json.numFailedTests ?? 0
  count.skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0)
  for (const file of json.testResults ?? []) {
    const path = String(file.name ?? '').replace(`${process.cwd()}/`, '')
    if (file.status === 'failed' && (file.assertionResults ?? []).length === 0) {
      failures.push(`${path}: ${firstLine(file.message)}`)
    }
    for (const test of file.assertionResults ?? []) {
      if (test.status !== 'failed') continue
      failures.push(`${path} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`)
    }
  }
}

function firstLine(text) {
  return String(text ?? '')
    .split('\n')[0]
    .slice(0, 300)
}
