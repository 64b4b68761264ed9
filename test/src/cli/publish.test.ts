// `archy publish` against a real registry node on port 0: uploads, the relay's answer,
// the registry's verdict, a refused repeat, a bad manifest, an unreachable registry.
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startRegistryNode } from '../../../registry/index.js'
import { runCli } from '../../support/cli.js'

describe('archy publish', () => {
  let node: Awaited<ReturnType<typeof startRegistryNode>>
  let work: string
  let keyFile: string

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'archy-publish-'))
    node = await startRegistryNode({ dataDir: join(work, 'node'), host: '127.0.0.1', port: 0 })
    keyFile = join(work, 'publisher.keys')
    expect((await runCli(['keys', 'new', '--out', keyFile])).code).toBe(0)
    // The example manifest with a stand-in image archive: the registry never opens it.
    copyFileSync('examples/apps/hello-web/manifest.yml', join(work, 'manifest.yml'))
    writeFileSync(join(work, 'image.tar'), Buffer.alloc(300_000, 7))
  })

  afterAll(async () => {
    await node?.close()
  })

  it('uploads the artifact, publishes the event and reports both verdicts', async () => {
    const run = await runCli([
      'publish',
      join(work, 'manifest.yml'),
      '--key',
      keyFile,
      '--registry',
      node.url,
    ])
    expect(run.code, run.err).toBe(0)
    expect(run.out).toMatch(/^event: +[0-9a-f]{64}$/m)
    expect(run.out).toMatch(/^relay: +OK$/m)
    expect(run.out).toMatch(/^registry: accepted$/m)
    expect(run.err).toMatch(/artifact image.tar uploaded/)

    // publish returns once a signed catalog lists the release: no waiting needed here.
    const sequence = Number(/^catalog: +sequence (\d+)$/m.exec(run.out)?.[1])
    const catalog = (await (await fetch(new URL('/v1/catalog', node.url))).json()) as any
    expect(catalog.sequence).toBeGreaterThanOrEqual(sequence)
    const eventId = /^event: +([0-9a-f]{64})$/m.exec(run.out)?.[1]
    expect(catalog.apps.map((entry: any) => entry.event_id)).toEqual([eventId])
  })

  it('reports the relay refusing the same version again, and skips present blobs', async () => {
    // A second later, so that the new event differs from the first (created_at has 1 s steps).
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const run = await runCli([
      'publish',
      join(work, 'manifest.yml'),
      '--key',
      keyFile,
      '--registry',
      node.url,
      '--json',
    ])
    expect(run.code).toBe(1)
    const report = JSON.parse(run.out)
    expect(report.uploads[0].status).toBe('present')
    // The relay keeps one release event per address and refuses a version not higher than it.
    expect(report.relay.accepted).toBe(false)
    expect(report.relay.message).toMatch(/^invalid: version \S+ is not higher than/)
  })

  it("prints the manifests' warnings: a stack member left out is named", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'archy-publish-warn-'))
    copyFileSync('examples/apps/notes/manifest.yml', join(dir, 'manifest.yml'))
    writeFileSync(join(dir, 'image.tar'), Buffer.alloc(1000, 3))
    const manifest = join(dir, 'manifest.yml')
    const run = await runCli(['publish', manifest, '--key', keyFile, '--registry', node.url])
    expect(run.code, run.err).toBe(0)
    expect(run.err).toContain(
      `${manifest}: warning: app.dependencies[0].app_id: depends on app "notes-api", ` +
        'which is not among the manifests given',
    )
    const json = await runCli(['app', 'sign', manifest, '--key', keyFile, '--out', `${dir}/r.json`])
    expect(json.err).toContain(`${manifest}: warning: app.dependencies[0].app_id`)
  })

  it('refuses an event larger than the relay takes, before uploading anything', async () => {
    // Quotes are escaped twice (manifest JSON inside event JSON): 200 KiB become over 512 KiB.
    const dir = mkdtempSync(join(tmpdir(), 'archy-publish-big-'))
    const quotes = '"'.repeat(200_000)
    writeFileSync(
      join(dir, 'manifest.yml'),
      [
        'app:',
        '  id: big-app',
        '  name: Big',
        '  version: 1.0.0',
        '  container: { image: "file:image.tar", command: [sh] }',
        '  volumes: [{ type: bind, source: /var/lib/archipelago/big-app/d, target: /d }]',
        '  files:',
        `    - { path: /var/lib/archipelago/big-app/d/q, content: '${quotes}' }`,
        '',
      ].join('\n'),
    )
    writeFileSync(join(dir, 'image.tar'), Buffer.alloc(1000, 9))
    const run = await runCli([
      'publish',
      join(dir, 'manifest.yml'),
      '--key',
      keyFile,
      '--registry',
      node.url,
    ])
    expect(run.code).toBe(1)
    expect(run.err).toMatch(/the release event is \d+ bytes and the registry's relay takes at most/)
    expect(run.err).not.toMatch(/uploaded/)
  })

  it('refuses an invalid manifest before uploading anything', async () => {
    const run = await runCli([
      'publish',
      'examples/apps/broken/manifest.yml',
      '--key',
      keyFile,
      '--registry',
      node.url,
    ])
    expect(run.code).toBe(1)
    expect(run.err).toMatch(/app.ports\[0\].host: port 80 is below 1024/)
  })

  it.each([
    [['--registry', 'ftp://x'], /--registry must be an http/],
    [['--registry', 'not a url'], /is not a URL/],
  ])('exits 2 on a bad flag %j', async (flags, message) => {
    const run = await runCli(['publish', join(work, 'manifest.yml'), '--key', keyFile, ...flags])
    expect(run.code).toBe(2)
    expect(run.err).toMatch(message)
  })

  it('names an unreachable registry', async () => {
    const run = await runCli([
      'publish',
      join(work, 'manifest.yml'),
      '--key',
      keyFile,
      '--registry',
      'http://127.0.0.1:9',
    ])
    expect(run.code).toBe(1)
    expect(run.err).toMatch(/cannot reach http:\/\/127.0.0.1:9/)
  })
})
