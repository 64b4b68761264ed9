// `npm test`: builds, checks format, lint and types, then runs each suite in turn and prints
// its time. Suites run one after another so Podman suites never share the machine.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'

const suites = ['src', 'relay', 'registry', 'trust', 'node-agent', 'e2e'].filter(
  (name) => existsSync(`test/${name}`) && hasTests(`test/${name}`),
)

const steps = [
  ['build', 'npx', ['tsc', '-p', 'tsconfig.build.json']],
  ['typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']],
  ['format', 'npx', ['prettier', '--check', '--log-level', 'warn', '.']],
  ['lint', 'npx', ['eslint', '.']],
  ...suites.map((name) => [`suite ${name}`, 'npx', ['vitest', 'run', `test/${name}`]]),
]

const times = []
let failed = false
for (const [name, command, args] of steps) {
  const started = Date.now()
  console.log(`\n=== ${name}`)
  const result = spawnSync(command, args, { stdio: 'inherit' })
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  const ok = result.status === 0
  times.push(`${ok ? 'ok  ' : 'FAIL'} ${name.padEnd(20)} ${seconds.padStart(7)} s`)
  if (!ok) failed = true
}

console.log('\n=== times')
for (const line of times) console.log(line)
process.exitCode = failed ? 1 : 0

function hasTests(dir) {
  return readdirSync(dir, { recursive: true }).some((file) => String(file).endsWith('.test.ts'))
}
