// The fault-injection hook of the exec seam: ARCHY_TEST_KILL_AFTER_CALLS=N kills the process
// with SIGKILL right after its Nth external call, before the next; unset, nothing happens.
// Runs the built seam (dist/, made by `npm run build`) in a child process, since it kills itself.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const built = fileURLToPath(new URL('../../dist/node-agent/exec.js', import.meta.url))
const script = `
  const { execCommand } = await import(${JSON.stringify(built)})
  for (let call = 1; call <= 5; call += 1) {
    await execCommand('true', [])
    console.log('after ' + call)
  }
`

function runCalls(env: Record<string, string>): { stdout: string; signal: string | null } {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, ARCHY_TEST_KILL_AFTER_CALLS: '', ...env },
    timeout: 30_000,
  })
  return { stdout: child.stdout, signal: child.signal }
}

describe('ARCHY_TEST_KILL_AFTER_CALLS', () => {
  it('needs the build', () => {
    expect(existsSync(built), `${built} is missing: run npm run build`).toBe(true)
  })

  it('kills the process with SIGKILL after the Nth call ends, before the next', () => {
    const run = runCalls({ ARCHY_TEST_KILL_AFTER_CALLS: '3' })
    expect(run.signal).toBe('SIGKILL')
    expect(run.stdout).toBe('after 1\nafter 2\n')
  })

  it.each(['', '0', 'three', '-1'])('does nothing for %j', (value) => {
    const run = runCalls({ ARCHY_TEST_KILL_AFTER_CALLS: value })
    expect(run.signal).toBeNull()
    expect(run.stdout.trim().split('\n')).toHaveLength(5)
  })
})
