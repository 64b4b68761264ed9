// `archy node run` as a real process: a start-up failure after the settings are read (the port
// in use, a host that is no address) exits non-zero and releases the data directory's lock, rather
// than leaving a process that systemd shows as active but that serves nothing; and a SIGTERM
// sent twice still lets it stop cleanly.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const cli = join(import.meta.dirname, '../../../bin/archy.js')

/** Runs the built `archy`; a process still running after `ms` is killed and reported as such. */
function runArchy(
  args: string[],
  ms = 10_000,
): Promise<{ code: number | null; signal: string | null; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')))
    const timer = setTimeout(() => child.kill('SIGKILL'), ms)
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, err: err.trim() })
    })
  })
}

describe('archy node run, as a process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'archy-node-exit-'))
  let busy: Server
  let busyPort = 0

  beforeAll(async () => {
    busy = createServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    busyPort = (busy.address() as { port: number }).port
  })

  afterAll(() => {
    busy.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it.each([
    ['the port is in use', () => ['--port', String(busyPort)], 'port: 127.0.0.1:.* already in use'],
    ['the host is no address', () => ['--host', '999.1.1.1', '--port', '0'], 'host: 999.1.1.1'],
  ])('exits 1 and releases node.lock when %s', { timeout: 30_000 }, async (name, flags, text) => {
    const data = join(dir, name.replaceAll(' ', '-'))
    const run = await runArchy(['node', 'run', '--data', data, ...flags()])
    expect({ code: run.code, signal: run.signal }, run.err).toEqual({ code: 1, signal: null })
    expect(run.err).toMatch(new RegExp(`^archy: ${text}`))
    expect(existsSync(join(data, 'node.lock'))).toBe(false)
  })

  it('stops cleanly on SIGTERM sent twice, releasing node.lock', { timeout: 30_000 }, async () => {
    // runuser and some supervisors forward a SIGTERM twice: the second must not cut the shutdown.
    const data = join(dir, 'twice')
    const child = spawn(process.execPath, [cli, 'node', 'run', '--port', '0', '--data', data], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')))
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    )
    for (let i = 0; i < 500 && !out.includes('registry node at'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(out).toContain('registry node at')
    child.kill('SIGTERM')
    for (let i = 0; i < 500 && !err.includes('received SIGTERM, stopping'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    child.kill('SIGTERM')
    expect(await exited).toEqual({ code: 0, signal: null })
    expect(existsSync(join(data, 'node.lock'))).toBe(false)
  })
})
