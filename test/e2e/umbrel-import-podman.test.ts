// Umbrel apps imported and run on real rootless Podman: vaultwarden (one service, its converted
// shell command patching a web vault) and immich (a stack of four, with a generated secret and
// Umbrel's container names rewritten), published to a registry node and installed by the agent
// as the test user, with every image replaced by one busybox stand-in built here.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { chmodSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'

import { execCommand } from '../../node-agent/exec.js'
import type { Exec } from '../../node-agent/exec.js'
import { startRegistryNode, type RegistryNode } from '../../registry/index.js'
import { runCli } from '../support/cli.js'
import { makeTestUserRoot } from '../support/e2e-bed.js'
import { describePodman, podmanAsTestUser, runArchyAsTestUser } from '../support/podman-user.js'
import { UMBREL_APPS } from '../support/umbrel-apps.js'

const CONTAINERS = [
  'umb-vaultwarden',
  'umb-immich',
  'umb-immich-machine-learning',
  'umb-immich-redis',
  'umb-immich-postgres',
]
const STAND_IN = 'localhost/umb-stand-in:1'
const SECRET = 'archy.umb-immich-postgres.umbrel-app-seed'
// What the agent loads each stand-in archive as: localhost/archy/<app id>:<version>.
const LOADED = [
  'localhost/archy/umb-vaultwarden:1.37.1',
  ...CONTAINERS.slice(1).map((id) => `localhost/archy/${id}:3.1.0`),
]

// The stand-in: what the vaultwarden command expects of its image (a web vault to patch and a
// /start.sh), and for every immich member a server on 2283 and 3003, immich's and its machine
// learning's ports, whose CGI reports what the converted environment gives it.
const CONTAINERFILE = `FROM localhost/archy-busybox:1
COPY root/ /
CMD ["/umb/serve"]
`
const FILES: Record<string, string> = {
  'web-vault/index.html': '<h1>vault stand-in</h1>\n',
  'web-vault/app/main.1.js': 'if(a&&!this.platformUtilsService.isDev()){b()}\n',
  'start.sh': `#!/bin/sh
echo started > /data/started
trap "exit 0" TERM
httpd -f -p "$ROCKET_PORT" -h "$WEB_VAULT_FOLDER" & wait
`,
  'umb/serve': `#!/bin/sh
trap "exit 0" TERM
httpd -f -p 3003 -h /umb/ml & httpd -f -p 2283 -h /umb/www & wait
`,
  'umb/ml/index.html': 'machine learning stand-in\n',
  'umb/www/cgi-bin/status': `#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
echo "jwt=\${#JWT_SECRET} db=$DB_HOSTNAME redis=$REDIS_HOSTNAME"
wget -q -O - "$IMMICH_MACHINE_LEARNING_URL/"
`,
}

describePodman('Umbrel apps imported and installed on rootless Podman', () => {
  let registry: RegistryNode
  let asUser: Exec
  let root: string
  let out: string
  let work: string
  let place: string[]

  const archy = async (...args: string[]): Promise<string> => {
    const result = await runArchyAsTestUser([...args, ...place], { timeoutMs: 300_000 })
    if (result.code !== 0) throw new Error(`archy ${args.join(' ')}: ${result.stderr}`)
    return result.stdout
  }
  const get = async (url: string): Promise<string> => {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) })
    expect(response.status).toBe(200)
    return response.text()
  }

  beforeAll(async () => {
    asUser = podmanAsTestUser()
    await cleanUp(asUser)
    ;({ root, place } = await makeTestUserRoot(asUser, 'umb-import-e2e'))

    // Import both apps as umb-* from the verbatim Umbrel files.
    work = mkdtempSync(path.join(tmpdir(), 'umb-import-'))
    chmodSync(work, 0o755)
    out = path.join(work, 'out')
    for (const app of ['vaultwarden', 'immich']) {
      const result = await runCli([
        'app', 'import', 'umbrel', path.join(UMBREL_APPS, app), '--out', out,
        '--id-prefix', 'umb-',
      ]) // prettier-ignore
      expect(result.code, result.err).toBe(0)
    }

    // Build the stand-in as the test user and put its archive beside every manifest.
    const archive = await buildStandIn(asUser, work)
    for (const app of ['umb-vaultwarden', 'umb-immich']) {
      copyFileSync(archive, path.join(out, app, 'image.tar'))
      for (const file of readdirSync(path.join(out, app)).filter((f) => f.endsWith('.yml'))) {
        replaceImage(path.join(out, app, file))
      }
    }

    registry = await startRegistryNode({ dataDir: `${work}/data`, host: '127.0.0.1', port: 0 })
    const key = `${work}/publisher.keys`
    expect((await runCli(['keys', 'new', '--out', key])).code).toBe(0)
    for (const app of ['umb-vaultwarden', 'umb-immich']) {
      const files = readdirSync(path.join(out, app))
        .filter((file) => file.endsWith('.yml'))
        .sort((a, b) => Number(b === 'manifest.yml') - Number(a === 'manifest.yml'))
        .map((file) => path.join(out, app, file))
      const result = await runCli(['publish', ...files, '--key', key, '--registry', registry.url])
      expect(result.out, result.err).toMatch(/registry: accepted/)
    }
    await archy('agent', 'add-registry', registry.url, '--did', registry.did)
  }, 300_000)

  afterAll(async () => {
    await registry?.close()
    if (asUser) await cleanUp(asUser)
    if (root) await asUser('podman', ['unshare', 'rm', '-rf', root], { allowFailure: true })
    if (work) rmSync(work, { recursive: true, force: true })
  }, 120_000)

  it('runs vaultwarden with its converted command, which patches the vault it serves', async () => {
    await archy('agent', 'install', 'umb-vaultwarden')
    expect(await get('http://127.0.0.1:8089/')).toBe('<h1>vault stand-in</h1>\n')
    // The compose file's script ran: it copied the vault to /tmp and patched its main.*.js.
    expect(await get('http://127.0.0.1:8089/app/main.1.js')).toContain(
      '&&!this.platformUtilsService.isDev()&&!location.hostname.endsWith(".onion")',
    )
    const started = `${root}/apps/umb-vaultwarden/data/started`
    expect(readFileSync(started, 'utf8')).toBe('started\n')
  }, 300_000)

  it('runs the immich stack: the UI on 2283 reaches its members by their new names', async () => {
    await archy('agent', 'install', 'umb-immich')
    const status = await get('http://127.0.0.1:2283/cgi-bin/status')
    // JWT_SECRET is APP_SEED: a 64-hex generated secret of immich-postgres.
    expect(status).toBe(
      'jwt=64 db=umb-immich-postgres redis=umb-immich-redis\nmachine learning stand-in\n',
    )
    const secret = readFileSync(`${root}/state/secrets/umb-immich-postgres/umbrel-app-seed`, 'utf8')
    expect(secret).toMatch(/^[0-9a-f]{64}$/)

    const report = JSON.parse(await archy('agent', 'status', '--json'))
    const immich = report.apps.find((app: { appId: string }) => app.appId === 'umb-immich')
    expect(immich.members.map((m: { appId: string; state: string }) => [m.appId, m.state])).toEqual(
      expect.arrayContaining([
        ['umb-immich', 'running'],
        ['umb-immich-machine-learning', 'running'],
        ['umb-immich-redis', 'running'],
        ['umb-immich-postgres', 'running'],
      ]),
    )
  }, 300_000)
})

/** Builds the stand-in image as the test user from the example busybox image; its archive. */
async function buildStandIn(asUser: Exec, work: string): Promise<string> {
  const busybox = path.resolve('examples/images/out/busybox.tar')
  if (!existsSync(busybox)) await execCommand('bash', ['examples/images/build.sh'])
  const context = path.join(work, 'stand-in')
  for (const [file, content] of Object.entries(FILES)) {
    const target = path.join(context, 'root', file)
    mkdirSync(path.dirname(target), { recursive: true })
    writeFileSync(target, content, { mode: 0o755 })
  }
  writeFileSync(path.join(context, 'Containerfile'), CONTAINERFILE)
  await execCommand('chmod', ['-R', 'a+rX', context])

  await asUser('podman', ['load', '-q', '-i', busybox], { timeoutMs: 120_000 })
  await asUser('podman', ['build', '-q', '--pull=never', '-t', STAND_IN, context], {
    timeoutMs: 120_000,
  })
  const archive = path.join(work, 'stand-in.tar')
  const saved = (await asUser('mktemp', ['-d', '/tmp/umb-stand-in-XXXXXX'])).stdout.trim()
  await asUser('podman', [
    'save',
    '-q',
    '--format',
    'oci-archive',
    '-o',
    `${saved}/i.tar`,
    STAND_IN,
  ])
  copyFileSync(`${saved}/i.tar`, archive)
  await asUser('rm', ['-rf', saved])
  return archive
}

/** Points a converted manifest at the stand-in archive instead of the Umbrel image. */
function replaceImage(file: string): void {
  const text = readFileSync(file, 'utf8')
  const document = parse(text) as { app: { container: { image: string } } }
  expect(document.app.container.image).toMatch(/@sha256:[0-9a-f]{64}$/)
  document.app.container.image = 'file:image.tar'
  writeFileSync(file, stringify(document, { lineWidth: 0 }))
}

/** Removes what these tests may have left as the test user: containers, secret, image. */
async function cleanUp(asUser: Exec): Promise<void> {
  await asUser('podman', ['rm', '-f', '--ignore', ...CONTAINERS], { allowFailure: true })
  await asUser('podman', ['secret', 'rm', SECRET], { allowFailure: true })
  await asUser('podman', ['rmi', '-f', STAND_IN, ...LOADED], { allowFailure: true })
}
