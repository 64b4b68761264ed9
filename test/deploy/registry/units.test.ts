// deploy/registry's units as systemd and Podman read them: the Quadlet unit through the real
// generator's dry run, its health command against a real node, and the systemd user unit through
// `systemd-analyze verify` and then run as its own ExecStart, environment file included.
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  findQuadlet,
  QUADLET_MISSING,
  runQuadletDryRun,
  splitDryRunOutput,
} from '../../support/quadlet.js'
import { makeDataDir, startTestNode, type TestNode } from '../../registry/harness.js'
import { parseUnit, splitCommandLine, unitValue } from './unit-file.js'

const UNITS = resolve('deploy/registry')
const quadlet = findQuadlet()
const systemdAnalyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find(isFile)

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'archy-deploy-units-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const describeQuadlet = quadlet ? describe : describe.skip.bind(describe, `(${QUADLET_MISSING})`)

describeQuadlet('archy-registry.container', () => {
  let service: string
  let execStart: string[]
  let node: TestNode
  const data = makeDataDir()

  beforeAll(async () => {
    const dir = join(scratch, 'quadlet')
    mkdirSync(dir)
    writeFileSync(
      join(dir, 'archy-registry.container'),
      readFileSync(join(UNITS, 'archy-registry.container')),
    )
    const run = runQuadletDryRun(quadlet!, dir)
    expect(run.exitCode, run.stderr).toBe(0)
    const problems = run.stderr.split('\n').filter((line) => /warn|error|unsupported/i.test(line))
    expect(problems).toEqual([])
    service = splitDryRunOutput(run.stdout).get('archy-registry.service') ?? ''
    execStart = splitCommandLine(unitValue(parseUnit(service), 'Service', 'ExecStart') ?? '')
    node = await startTestNode(data.dir)
  })
  afterAll(async () => {
    await node?.close()
    data.remove()
  })

  it('generates a service that runs the image rootless, locked down, on loopback only', () => {
    expect(execStart.slice(0, 2)).toEqual(['/usr/bin/podman', 'run'])
    expect(execStart.at(-1)).toBe('localhost/archy-registry:0.1.0')
    for (const [flag, value] of [
      ['--name', 'archy-registry'],
      ['--publish', '127.0.0.1:7777:7777'],
      ['-v', 'archy-registry-data:/data'],
      ['--cap-drop', 'all'],
      ['--env', 'ARCHY_HOST=0.0.0.0'],
      ['--env', 'ARCHY_DATA=/data'],
      ['--env-file', '%h/.config/archy-registry/registry.env'],
    ] as const) {
      const at = execStart.findIndex(
        (word, index) => word === flag && execStart[index + 1] === value,
      )
      expect(at, `${flag} ${value}`).toBeGreaterThan(0)
    }
    expect(execStart).toContain('--read-only')
    expect(execStart).toContain('--security-opt=no-new-privileges')
    expect(unitValue(parseUnit(service), 'Install', 'WantedBy')).toBe('default.target')
  })

  it.skipIf(!systemdAnalyze)(
    'generates a service systemd-analyze verifies without a warning',
    () => {
      const dir = join(scratch, 'generated')
      mkdirSync(dir)
      writeFileSync(join(dir, 'archy-registry.service'), service)
      const result = verifyUserUnit(join(dir, 'archy-registry.service'))
      expect(result.status, result.stderr).toBe(0)
      expect(result.stderr).toBe('')
    },
  )

  it('has a health command that passes on a serving node and fails on a closed port', async () => {
    const command = execStart[execStart.indexOf('--health-cmd') + 1]!
    const port = new URL(node.url).port
    // Asynchronously: the node answering it runs in this process.
    expect(await runShell(command.replace(':7777', `:${port}`))).toBe(0)
    expect(await runShell(command.replace(':7777', ':1'))).toBe(1)
  })
})

const describeSystemd = systemdAnalyze
  ? describe
  : describe.skip.bind(describe, '(needs systemd-analyze: apt-get install systemd)')

describeSystemd('archy-registry.service', () => {
  const unitPath = join(UNITS, 'archy-registry.service')
  const unit = parseUnit(readFileSync(unitPath, 'utf8'))

  it('passes systemd-analyze verify as a user unit without a warning', () => {
    const result = verifyUserUnit(unitPath)
    expect(result.status, result.stderr).toBe(0)
    expect(result.stderr).toBe('')
  })

  it('starts a node from its ExecStart, the environment file overriding the defaults', async () => {
    const home = join(scratch, 'home')
    mkdirSync(join(home, '.config', 'archy-registry'), { recursive: true })
    symlinkSync(process.cwd(), join(home, 'archipelago-registry'))
    const publicUrl = 'https://registry.example'
    writeFileSync(
      join(home, '.config', 'archy-registry', 'registry.env'),
      `ARCHY_PORT=0\nARCHY_PUBLIC_URL=${publicUrl}\n`,
    )
    const expand = (text: string): string => text.replaceAll('%h', home)

    // Environment= first, then EnvironmentFile= (whose values win), as systemd applies them.
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin', HOME: home }
    for (const word of splitCommandLine(unitValue(unit, 'Service', 'Environment') ?? '')) {
      const [key, ...value] = word.split('=')
      env[key!] = expand(value.join('='))
    }
    const envFile = expand(unitValue(unit, 'Service', 'EnvironmentFile') ?? '').replace(/^-/, '')
    for (const line of readFileSync(envFile, 'utf8').split('\n').filter(Boolean)) {
      const [key, ...value] = line.split('=')
      env[key!] = value.join('=')
    }
    const [command, ...args] = splitCommandLine(unitValue(unit, 'Service', 'ExecStart') ?? '')
    const cwd = expand(unitValue(unit, 'Service', 'WorkingDirectory') ?? '')

    const child = spawn(command!, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)))
    try {
      const url = await readListeningUrl(child)
      const catalog = (await (await fetch(`${url}/v1/catalog`)).json()) as {
        registry: { url: string }
      }
      expect(catalog.registry.url).toBe(publicUrl)
      const keys = join(home, '.local', 'share', 'archy-registry', 'operator.keys.json')
      expect(statSync(keys).mode & 0o777).toBe(0o600)
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  })
})

/** `systemd-analyze --user verify` of one unit file, with a runtime directory of its own. */
function verifyUserUnit(path: string): { status: number | null; stderr: string } {
  const runtime = mkdtempSync(join(scratch, 'runtime-'))
  const result = spawnSync(systemdAnalyze!, ['--user', 'verify', path], {
    env: { PATH: process.env.PATH, HOME: scratch, XDG_RUNTIME_DIR: runtime },
    encoding: 'utf8',
    timeout: 30_000,
  })
  return { status: result.status, stderr: result.stderr }
}

/** Runs a command line with /bin/sh, as Podman runs a health command, and gives its exit code. */
function runShell(command: string): Promise<number | null> {
  return new Promise((done, fail) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: 'ignore', timeout: 20_000 })
    child.on('error', fail)
    child.on('exit', (code) => done(code))
  })
}

/** The node's listening URL from what it prints at start-up. */
function readListeningUrl(child: ReturnType<typeof spawn>): Promise<string> {
  return new Promise((done, fail) => {
    let seen = ''
    const timer = setTimeout(() => fail(new Error(`no URL printed in time: ${seen}`)), 20_000)
    const look = (chunk: Buffer): void => {
      seen += chunk.toString()
      const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(seen)
      if (match) {
        clearTimeout(timer)
        done(match[1]!)
      }
    }
    child.stdout?.on('data', look)
    child.stderr?.on('data', look)
    child.on('exit', (code) =>
      fail(new Error(`the node exited (${code}) before listening: ${seen}`)),
    )
  })
}
