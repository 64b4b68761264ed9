// `npm run bench:registry`: artifact GET throughput of a 256 MiB blob, the registry against nginx
// serving the same file on loopback, and catalog requests/s and p99 with 1,000 apps, conditional
// (If-None-Match, 304) and full (compressed). Runs the built code in dist/; never part of npm test.
import { Buffer } from 'node:buffer'
import { spawn } from 'node:child_process'
import { randomBytes, createHash } from 'node:crypto'
import { createWriteStream, mkdtempSync, rmSync, chmodSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { finished } from 'node:stream/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
import { WebSocket } from 'ws'
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay'

import { execCommand } from '../dist/node-agent/exec.js'
import { digestFile } from '../dist/src/digest/blake3.js'
import { generateEd25519 } from '../dist/src/identity/did-key.js'
import { generateNostrKeys } from '../dist/src/identity/nostr-keys.js'
import { signNostrEvent } from '../dist/src/nostr/event.js'
import { signDocument } from '../dist/src/proof/data-integrity.js'
import { buildReleaseEvent } from '../dist/src/release/release-event.js'

useWebSocketImplementation(WebSocket)
const { fetch } = globalThis

const BLOB_MIB = Number(process.env.BENCH_BLOB_MIB ?? 256)
const APPS = Number(process.env.BENCH_APPS ?? 1000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const CONNECTIONS = 32
const NGINX = process.env.BENCH_NGINX ?? '/usr/sbin/nginx'

const work = mkdtempSync(join(tmpdir(), 'archy-bench-'))
chmodSync(work, 0o755)
const cleanup = []

try {
  await main()
} finally {
  for (const step of cleanup.reverse()) await step().catch(() => {})
  rmSync(work, { recursive: true, force: true })
}

async function main() {
  const commit = (await execCommand('git', ['rev-parse', '--short', 'HEAD'])).stdout.trim()
  const dirty = (
    await execCommand('git', ['status', '--porcelain', '--untracked-files=no'])
  ).stdout.trim()
  const nginxVersion = await execCommand(NGINX, ['-v']).then(
    (result) => result.stderr.trim().replace(/^nginx version: /, ''),
    (error) => {
      throw new Error(`${NGINX} is needed: sudo apt-get install -y nginx curl`, { cause: error })
    },
  )
  console.log(`bench:registry  commit ${commit}${dirty ? ' (tree has uncommitted changes)' : ''}`)
  console.log(`date ${new Date().toISOString()}  node ${process.version}  ${nginxVersion}`)
  console.log(
    `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; loopback; client: curl (blobs), autocannon (catalog)`,
  )
  console.log(
    `load average at start ${loadAverage()} (other work on the machine skews every figure)`,
  )
  console.log('')

  const dataDir = join(work, 'data')
  const node = await startNodeProcess('registry-node.mjs', dataDir)

  // The blob: random bytes, uploaded through PUT /blobs as a publisher would.
  const file = join(work, 'blob.bin')
  await writeRandomFile(file, BLOB_MIB)
  const digests = await digestFile(file)
  const upload = await uploadBlob(node.url, file, digests.sha256)
  chmodSync(dataDir, 0o755)
  const nginxUrl = await startNginx(join(dataDir, 'blobs'))
  const registryPath = `/blobs/${digests.blake3}`
  const nginxPath = `/${digests.blake3.slice(0, 2)}/${digests.blake3}`

  const plain = await startNodeProcess('plain-file-server.mjs', file)

  // Interleaved rounds after one warm-up each, so a busy moment of the machine hits all three.
  const registry = []
  const nginx = []
  const reference = []
  const targets = [
    [registry, node.url + registryPath],
    [nginx, nginxUrl + nginxPath],
    [reference, plain.url + '/'],
  ]
  for (const [, url] of targets) await downloadMiBps(url, digests.size)
  for (let round = 0; round < ROUNDS; round++) {
    for (const [runs, url] of targets) runs.push(await downloadMiBps(url, digests.size))
  }
  const ours = median(registry)
  const theirs = median(nginx)

  console.log(`artifact GET, ${BLOB_MIB} MiB blob, median of ${ROUNDS} sequential downloads`)
  console.log(row('', 'MiB/s', 'runs'))
  console.log(row('registry /blobs/<blake3>', ours.toFixed(0), registry.map(fixed0).join(' ')))
  console.log(row('nginx (sendfile)', theirs.toFixed(0), nginx.map(fixed0).join(' ')))
  console.log(
    row(
      'plain node:http + fs stream',
      median(reference).toFixed(0),
      reference.map(fixed0).join(' '),
    ),
  )
  console.log(row('registry / nginx', `${((ours / theirs) * 100).toFixed(0)} %`, 'target >= 60 %'))
  console.log(row('upload PUT /blobs (hashing)', upload.toFixed(0), 'BLAKE3 + SHA-256, fsync'))
  console.log('')

  // The catalog: APPS releases by 50 publishers, published over the relay and indexed.
  const started = performance.now()
  await publishApps(node.url, APPS)
  const catalog = await waitForCatalog(node.url, APPS)
  const indexSeconds = (performance.now() - started) / 1000
  console.log(
    `catalog: ${APPS} apps, ${(catalog.bytes / 1024).toFixed(0)} KiB JSON, ` +
      `published and indexed in ${indexSeconds.toFixed(1)} s; ` +
      `${CONNECTIONS} connections, ${SECONDS} s each`,
  )
  const conditional = await load(node.url + '/v1/catalog', { 'if-none-match': catalog.etag })
  const full = await load(node.url + '/v1/catalog', { 'accept-encoding': 'gzip, br' })
  const encoding = await probeEncoding(node.url + '/v1/catalog')
  const plainBody = await startNodeProcess('plain-body-server.mjs', String(encoding.bytes))
  const ceiling = await load(plainBody.url + '/', {})
  console.log(row('', 'req/s', 'p99 ms', 'answers'))
  console.log(
    row('If-None-Match (304)', fixed0(conditional.rps), String(conditional.p99), conditional.codes),
  )
  console.log(
    row(
      `full (${encoding.encoding}, ${encoding.kib} KiB)`,
      fixed0(full.rps),
      String(full.p99),
      full.codes,
    ),
  )
  console.log(
    row(`plain node:http, ${encoding.kib} KiB`, fixed0(ceiling.rps), String(ceiling.p99), ''),
  )
  console.log(row('targets', '>= 5000 / >= 300', ''))
  console.log(`load average at end ${loadAverage()}`)
}

function loadAverage() {
  return loadavg()
    .map((value) => value.toFixed(1))
    .join(' ')
}

function row(...cells) {
  const widths = [34, 18, 10, 30]
  return cells
    .map((cell, i) => String(cell).padEnd(widths[i] ?? 0))
    .join(' ')
    .trimEnd()
}

function fixed0(value) {
  return value.toFixed(0)
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function writeRandomFile(path, mib) {
  const out = createWriteStream(path)
  for (let i = 0; i < mib; i++) {
    if (!out.write(randomBytes(1024 * 1024))) await new Promise((done) => out.once('drain', done))
  }
  out.end()
  await finished(out)
}

/**
 * A server of this bench (registry-node.mjs, plain-file-server.mjs) in a process of its own. It
 * is this project's own long-running server, not a tool to run to completion, so it is spawned
 * here rather than through node-agent/exec.ts; it is stopped with SIGTERM at the end.
 */
async function startNodeProcess(name, argument) {
  const script = new URL(`./${name}`, import.meta.url).pathname
  const child = spawn(process.execPath, [script, argument], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  cleanup.push(
    () =>
      new Promise((done) => {
        child.once('exit', done)
        child.kill('SIGTERM')
      }),
  )
  const lines = createInterface({ input: child.stdout })
  for await (const line of lines) return JSON.parse(line)
  throw new Error(`${name} exited before listening`)
}

/** PUT /blobs with a Blossom authorization, the body streamed by curl; returns MiB/s. */
async function uploadBlob(url, file, sha256) {
  const keys = generateNostrKeys()
  const now = Math.floor(Date.now() / 1000)
  const event = signNostrEvent(
    {
      kind: 24242,
      created_at: now - 1,
      tags: [
        ['t', 'upload'],
        ['x', sha256],
        ['expiration', String(now + 3600)],
      ],
      content: 'bench upload',
    },
    keys.secretKey,
  )
  const authorization = 'Nostr ' + Buffer.from(JSON.stringify(event)).toString('base64')
  const { stdout } = await execCommand(
    'curl',
    ['-sS', '--fail-with-body', '-T', file, '-H', `authorization: ${authorization}`].concat([
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{size_upload} %{time_total}',
      url + '/blobs',
    ]),
    { timeoutMs: 300_000 },
  )
  const [status, bytes, seconds] = stdout.trim().split(' ').map(Number)
  if (status !== 201) throw new Error(`upload: status ${status}`)
  return bytes / 1024 ** 2 / seconds
}

/** nginx on a free loopback port serving `root`, stopped at the end. */
async function startNginx(root) {
  const port = await freePort()
  const prefix = join(work, 'nginx')
  await execCommand('mkdir', ['-p', join(prefix, 'logs')])
  const user = process.getuid?.() === 0 ? 'user root;' : ''
  const config = `${user}
worker_processes auto;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  default_type application/octet-stream;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server { listen 127.0.0.1:${port}; root ${root}; }
}
`
  const conf = join(prefix, 'nginx.conf')
  await writeFile(conf, config)
  await execCommand(NGINX, ['-p', prefix, '-c', conf])
  cleanup.push(() => execCommand(NGINX, ['-p', prefix, '-c', conf, '-s', 'quit']))
  return `http://127.0.0.1:${port}`
}

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => done(port))
    })
  })
}

/** One download with curl, body discarded; MiB/s, after checking the size. */
async function downloadMiBps(url, size) {
  const { stdout } = await execCommand(
    'curl',
    ['-sS', '--fail', '-o', '/dev/null', '-w', '%{size_download} %{time_total}', url],
    { timeoutMs: 120_000 },
  )
  const [bytes, seconds] = stdout.trim().split(' ').map(Number)
  if (bytes !== size) throw new Error(`download of ${url}: ${bytes} bytes, expected ${size}`)
  return bytes / 1024 ** 2 / seconds
}

/** Publishes `count` releases (50 publishers) to the node's relay. */
async function publishApps(url, count) {
  const publishers = Array.from({ length: 50 }, () => ({
    ed25519: generateEd25519(),
    nostr: generateNostrKeys(),
  }))
  const relay = await Relay.connect(url.replace(/^http/, 'ws'))
  relay.publishTimeout = 60_000
  const artifact = {
    name: 'image.tar',
    blake3: createHash('sha256').update('blake3').digest('hex'),
    sha256: createHash('sha256').update('sha256').digest('hex'),
    size: 1048576,
    media_type: 'application/x-tar',
  }
  const now = Math.floor(Date.now() / 1000)
  const pending = []
  for (let i = 0; i < count; i++) {
    const keys = publishers[i % publishers.length]
    const id = `bench-app-${String(i).padStart(4, '0')}`
    const manifest = {
      app: {
        id,
        name: `Bench app ${i}`,
        version: '1.0.0',
        description: 'An app of the catalog benchmark, with a description of typical length.',
        category: ['media', 'tools', 'network', 'finance'][i % 4],
        container: { image: `blake3:${artifact.blake3}`, command: ['httpd', '-f'] },
        ports: [{ host: 20000 + i, container: 8080 }],
      },
    }
    const release = signDocument(
      {
        type: 'ArchipelagoRelease',
        app: id,
        version: '1.0.0',
        author: { did: keys.ed25519.did, nostr_pubkey: keys.nostr.pubkey },
        manifests: [manifest],
        artifacts: [artifact],
        published_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
      keys.ed25519,
    )
    pending.push(publishPaced(relay, buildReleaseEvent(release, keys.nostr.secretKey, now - 10)))
    if (pending.length >= 20) await Promise.all(pending.splice(0))
  }
  await Promise.all(pending)
  relay.close()
}

/** Publishes one event, waiting out the relay's per-IP rate limit when it says `rate-limited:`. */
async function publishPaced(relay, event) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await relay.publish(event)
    } catch (error) {
      if (!/rate-limited/.test(String(error)) || attempt >= 30) throw error
      await sleep(500)
    }
  }
}

async function waitForCatalog(url, count) {
  const deadline = Date.now() + 300_000
  while (Date.now() < deadline) {
    const response = await fetch(url + '/v1/catalog')
    const text = await response.text()
    if (JSON.parse(text).apps.length >= count) {
      return { etag: response.headers.get('etag'), bytes: Buffer.byteLength(text) }
    }
    await sleep(250)
  }
  throw new Error(`the catalog did not reach ${count} apps in 300 s`)
}

async function load(url, headers) {
  // A short run first, so the measured one sees compiled code and open connections.
  await autocannon({ url, headers, connections: CONNECTIONS, duration: 2 })
  const result = await autocannon({ url, headers, connections: CONNECTIONS, duration: SECONDS })
  const codes = Object.entries(result.statusCodeStats ?? {})
    .map(([code, { count }]) => `${count} x ${code}`)
    .join(', ')
  return { rps: result.requests.average, p99: result.latency.p99, codes }
}

async function probeEncoding(url) {
  const { stdout } = await execCommand('curl', [
    '-sS',
    '-o',
    '/dev/null',
    '-H',
    'accept-encoding: gzip, br',
    '-w',
    '%{size_download} %header{content-encoding}',
    url,
  ])
  const [bytes, encoding] = stdout.trim().split(' ')
  return {
    bytes: Number(bytes),
    kib: (Number(bytes) / 1024).toFixed(0),
    encoding: encoding || 'identity',
  }
}
