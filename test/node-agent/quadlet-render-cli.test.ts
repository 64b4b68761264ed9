// Tests for `archy app render` through the CLI's main(): a stack rendered into a directory,
// placeholders left with a warning, validation errors and usage errors.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { main } from '../../src/cli/main.js'
import { findQuadlet, runQuadletDryRun } from '../support/quadlet.js'

const root = mkdtempSync(path.join(tmpdir(), 'archy-render-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const WEB = `app:
  id: shop-web
  name: Shop
  version: 1.2.0+build.3
  container:
    image: file:image.tar
    network: shop-net
    secret_env: [{ key: API_TOKEN, secret_file: shop-token }]
    derived_env:
      - { key: PUBLIC_URL, template: "http://{{HOST_IP}}:18090/{{HOST_MDNS}}" }
  dependencies: [{ app_id: shop-api }]
  ports: [{ host: 18090, container: 8080 }]
  volumes: [{ type: bind, source: /var/lib/archipelago/shop-web/www, target: /www }]
  hooks:
    post_install:
      - copy_from_host: { src: web/provider.js, dest: /www/provider.js }
`
const API = `app:
  id: shop-api
  name: Shop API
  version: 1.0.0
  container:
    image: registry.example/shop-api:1.0.0
    network: shop-net
    secret_env: [{ key: TOKEN, secret_file: shop-token }]
  generated_secrets: [{ name: shop-token, length: 32, charset: hex }]
  network_aliases: [api]
  volumes: [{ type: volume, source: shop-cache, target: /cache }]
`

function writeManifest(name: string, text: string): string {
  const file = path.join(root, name)
  writeFileSync(file, text)
  return file
}

async function runArchy(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(args, { out: (text) => out.push(text), err: (text) => err.push(text) })
  return { code, out, err }
}

describe('archy app render', () => {
  const web = writeManifest('web.yml', WEB)
  const api = writeManifest('api.yml', API)

  it('renders a stack, names every file written and warns about missing values', async () => {
    const out = path.join(root, 'units')
    const dataRoot = path.join(root, 'data')
    const result = await runArchy([
      'app', 'render', web, api, '--out', out, '--set', 'HOST_IP=10.0.0.5',
      '--data-root', dataRoot,
    ]) // prettier-ignore
    expect(result.code).toBe(0)
    expect(result.out).toEqual(
      ['shop-web.container', 'shop-api.container', 'shop-net.network'].map((f) =>
        path.join(out, f),
      ),
    )
    expect(result.err).toEqual([
      `${web}: warning: app.container.derived_env[0].template: no value for {{HOST_MDNS}} on ` +
        'this node; left as written',
    ])
    const unit = readFileSync(path.join(out, 'shop-web.container'), 'utf8')
    expect(unit).toContain('\nImage=localhost/archy/shop-web:1.2.0_build.3\n')
    // Named volumes as the agent names them: namespaced by app id.
    const apiUnit = readFileSync(path.join(out, 'shop-api.container'), 'utf8')
    expect(apiUnit).toContain('\nVolume=archy.shop-api.shop-cache:/cache\n')
    expect(unit).toContain('\nEnvironment=PUBLIC_URL=http://10.0.0.5:18090/{{HOST_MDNS}}\n')
    expect(unit).toContain('\nSecret=archy.shop-api.shop-token,type=env,target=API_TOKEN\n')
    expect(unit).toContain(`\nVolume=${dataRoot}/shop-web/www:/www\n`)
    expect(unit).toContain(
      `\nExecStartPost=podman cp ${path.join(root, 'web/provider.js')} shop-web:/www/provider.js\n`,
    )

    const quadlet = findQuadlet()
    if (quadlet) expect(runQuadletDryRun(quadlet, out).exitCode).toBe(0)
  })

  it('gates keys by --podman-version', async () => {
    const out = path.join(root, 'units-4.4')
    const result = await runArchy(['app', 'render', api, '--out', out, '--podman-version', '4.4'])
    expect(result.code).toBe(0)
    expect(readdirSync(out)).toEqual(['shop-api.container'])
    expect(readFileSync(path.join(out, 'shop-api.container'), 'utf8')).toContain(
      '\nPodmanArgs=--network-alias=api --secret=archy.shop-api.shop-token,type=env,target=TOKEN\n',
    )
  })

  it('fails listing every validation error and writes nothing', async () => {
    const bad = writeManifest(
      'bad.yml',
      'app:\n  id: Bad_Id\n  name: x\n  version: "1"\n  container: { image: x:1 }\n',
    )
    const out = path.join(root, 'units-bad')
    const result = await runArchy(['app', 'render', bad, '--out', out])
    expect(result.code).toBe(1)
    expect(result.err.length).toBeGreaterThanOrEqual(2)
    expect(result.err.every((line) => line.startsWith(`${bad}: `))).toBe(true)
    expect(result.err.join('\n')).toContain('app.id')
    expect(result.err.join('\n')).toContain('app.version')
    expect(() => readdirSync(out)).toThrow()
  })

  it.each([
    [['--set', 'HOST_IP'], '--set HOST_IP: expected NAME=VALUE'],
    [['--set', 'APP_ID=x'], '--set APP_ID=x: expected NAME=VALUE'],
    [['--set', '=x'], '--set =x: expected NAME=VALUE'],
    [['--set', 'HOST_IP=notanip'], '--set HOST_IP: "notanip" is not an IPv4 address'],
    [['--set', 'HOST_MDNS=a b.local'], '--set HOST_MDNS: "a b.local" is not a host name'],
    [['--set', 'NODE_NOSTR_PUBKEY=abc'], '--set NODE_NOSTR_PUBKEY: "abc" is not 64 lowercase hex'],
    [
      ['--set', `NODE_IDENTITY_PUBKEYS=${'a'.repeat(64)},x`],
      'is not a comma-separated list of 64 lowercase hex keys',
    ],
    [['--podman-version', '4.3'], '--podman-version 4.3: Quadlet needs Podman 4.4 or later'],
    [['--podman-version', 'latest'], '--podman-version latest: "latest" is not a Podman version'],
  ])('refuses %j as a usage error', async (extra, message) => {
    const result = await runArchy(['app', 'render', api, '--out', path.join(root, 'x'), ...extra])
    expect(result.code).toBe(2)
    expect(result.err.join('\n')).toContain(message)
  })

  it('needs --out', async () => {
    const result = await runArchy(['app', 'render', api])
    expect(result.code).toBe(2)
    expect(result.err.join('\n')).toContain('needs --out DIR')
  })
})
