// `archy node run` start-up failures: each names the setting that caused it.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { runCli } from '../../support/cli.js'

describe('archy node run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'archy-node-run-'))
  let busy: Server
  let busyPort = 0

  beforeAll(async () => {
    busy = createServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    busyPort = (busy.address() as { port: number }).port
  })

  afterAll(() => {
    busy.close()
  })

  it('names the port when it is already in use', async () => {
    const run = await runCli(['node', 'run', '--port', String(busyPort), '--data', join(dir, 'a')])
    expect(run.code).toBe(1)
    expect(run.err).toBe(`archy: port: 127.0.0.1:${busyPort} is already in use`)
  })

  it('names the data directory when it is a file', async () => {
    const file = join(dir, 'file')
    writeFileSync(file, '')
    const run = await runCli(['node', 'run', '--port', '0', '--data', file])
    expect(run.code).toBe(1)
    expect(run.err).toMatch(/^archy: data: .* (exists and )?is not a directory$/)
  })

  it.each([
    ['/proc/nope', 'data: cannot create /proc/nope: /proc is on proc, a kernel pseudo-file system'],
    ['/sys/nope', 'data: cannot create /sys/nope: /sys is on sysfs, a kernel pseudo-file system'],
  ])('refuses --data %s promptly, naming the setting', { timeout: 5000 }, async (data, reason) => {
    const run = await runCli(['node', 'run', '--port', '0', '--data', data])
    expect(run.code).toBe(1)
    expect(run.err).toBe(`archy: ${reason}, not storage`)
  })

  it('names the data directory when its parent is a file', async () => {
    const file = join(dir, 'parent-file')
    writeFileSync(file, '')
    const run = await runCli(['node', 'run', '--port', '0', '--data', join(file, 'data')])
    expect(run.code).toBe(1)
    expect(run.err).toBe(
      `archy: data: cannot create ${join(file, 'data')}: ${file} exists and is not a directory`,
    )
  })

  it.each([
    [['--port', '70000'], /--port: must be an integer from 0 to 65535, got "70000"/],
    [['--port', 'abc'], /--port: must be an integer/],
    [['--data', ''], /--data: must not be empty/],
  ])('exits 2 on %j', async (flags, message) => {
    const run = await runCli(['node', 'run', ...flags])
    expect(run.code).toBe(2)
    expect(run.err).toMatch(message)
  })
})
