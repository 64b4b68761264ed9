// deploy/registry/nginx.conf for real: Debian's nginx runs the example (its ports, upstream and
// certificate paths swapped for a test's) in front of a real node, and the marketplace page, the
// NIP-11 document, the relay over wss:// and the HTTP-to-HTTPS redirect all work through it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { request as requestHttp } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { ConnectionOptions } from 'node:tls'
import { WebSocket, type ClientOptions } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { makeDataDir, startTestNode, waitFor, type TestNode } from '../../registry/harness.js'

const NGINX = '/usr/sbin/nginx'
const OPENSSL = '/usr/bin/openssl'
const NAME = 'registry.example.org'

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

const describeNginx =
  isFile(NGINX) && isFile(OPENSSL)
    ? describe
    : describe.skip.bind(describe, '(needs nginx and openssl: apt-get install nginx openssl)')

/** Free loopback ports, all held open at once so that none is handed out twice. */
async function findFreePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer())
  const ports = await Promise.all(
    servers.map(
      (server) =>
        new Promise<number>((done, fail) => {
          server.once('error', fail)
          server.listen(0, '127.0.0.1', () => done((server.address() as { port: number }).port))
        }),
    ),
  )
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))))
  return ports
}

/** Replaces `from` with `to` in `text`, failing when the example no longer holds `from`. */
function swap(text: string, from: string, to: string): string {
  expect(text, `deploy/registry/nginx.conf should contain ${from}`).toContain(from)
  return text.replaceAll(from, to)
}

describeNginx('deploy/registry/nginx.conf in front of a node', () => {
  const dir = mkdtempSync(join(tmpdir(), 'archy-deploy-nginx-'))
  const data = makeDataDir()
  let node: TestNode
  let nginx: ChildProcess
  let tlsPort: number
  let httpPort: number
  let cert: string

  beforeAll(async () => {
    node = await startTestNode(data.dir)
    ;[tlsPort, httpPort] = (await findFreePorts(2)) as [number, number]
    const key = join(dir, 'key.pem')
    const certPath = join(dir, 'cert.pem')
    const openssl = spawnSync(
      OPENSSL,
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'],
        ...['-nodes', '-days', '1', '-keyout', key, '-out', certPath],
        ...['-subj', `/CN=${NAME}`, '-addext', `subjectAltName=DNS:${NAME}`],
      ],
      { encoding: 'utf8', timeout: 30_000 },
    )
    expect(openssl.status, openssl.stderr).toBe(0)
    cert = readFileSync(certPath, 'utf8')

    let site = readFileSync(resolve('deploy/registry/nginx.conf'), 'utf8')
    site = swap(site, '    listen [::]:443 ssl;\n', '')
    site = swap(site, '    listen [::]:80;\n', '')
    site = swap(site, 'listen 443 ssl;', `listen 127.0.0.1:${tlsPort} ssl;`)
    site = swap(site, 'listen 80;', `listen 127.0.0.1:${httpPort};`)
    site = swap(site, 'http://127.0.0.1:7777', node.url)
    site = swap(site, `/etc/letsencrypt/live/${NAME}/fullchain.pem`, certPath)
    site = swap(site, `/etc/letsencrypt/live/${NAME}/privkey.pem`, key)
    writeFileSync(join(dir, 'site.conf'), site)
    for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub))
    // One process in the foreground, every path in the test's directory: runs as any user.
    writeFileSync(
      join(dir, 'nginx.conf'),
      [
        'daemon off;',
        'master_process off;',
        `pid ${join(dir, 'nginx.pid')};`,
        `error_log ${join(dir, 'error.log')} warn;`,
        'events {}',
        'http {',
        '  access_log off;',
        ...['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
          (sub) => `  ${sub === 'body' ? 'client_body' : sub}_temp_path ${join(dir, sub)};`,
        ),
        `  include ${join(dir, 'site.conf')};`,
        '}',
      ].join('\n'),
    )
    const check = spawnSync(NGINX, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], {
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(check.status, check.stderr).toBe(0)
    nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' })
    await waitFor(async () =>
      (await getTls('/healthz').catch(() => undefined)) ? true : undefined,
    )
  })
  afterAll(async () => {
    nginx?.kill('SIGTERM')
    await node?.close()
    data.remove()
    rmSync(dir, { recursive: true, force: true })
  })

  function getTls(
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; type: string; body: string }> {
    return new Promise((done, fail) => {
      const call = request(
        { host: '127.0.0.1', port: tlsPort, path, servername: NAME, ca: cert, headers },
        (response) => {
          let body = ''
          response.setEncoding('utf8')
          response.on('data', (chunk: string) => (body += chunk))
          response.on('end', () =>
            done({
              status: response.statusCode ?? 0,
              type: String(response.headers['content-type']),
              body,
            }),
          )
        },
      )
      call.on('error', fail)
      call.end()
    })
  }

  it('serves the marketplace page over TLS', async () => {
    const page = await getTls('/', { host: NAME })
    expect(page.status).toBe(200)
    expect(page.type).toMatch(/^text\/html/)
    expect(page.body).toContain('<h1>Apps</h1>')
  })

  it('passes the NIP-11 request through to the relay', async () => {
    const info = await getTls('/', { host: NAME, accept: 'application/nostr+json' })
    expect(info.type).toMatch(/application\/nostr\+json/)
    expect(JSON.parse(info.body)).toMatchObject({ software: 'archipelago-registry' })
  })

  it('carries the relay WebSocket over wss://', async () => {
    // ws hands `servername` and `ca` to tls.connect; its types name only part of that.
    const options: ClientOptions & ConnectionOptions = {
      ca: cert,
      servername: NAME,
      headers: { host: NAME },
    }
    const socket = new WebSocket(`wss://127.0.0.1:${tlsPort}/`, options)
    const answer = await new Promise<unknown>((done, fail) => {
      socket.once('error', fail)
      socket.once('open', () => socket.send(JSON.stringify(['REQ', 'deploy', { limit: 1 }])))
      socket.on('message', (message) => {
        const parsed = JSON.parse(String(message)) as unknown[]
        if (parsed[0] === 'EOSE') done(parsed)
      })
    })
    socket.close()
    expect(answer).toEqual(['EOSE', 'deploy'])
  })

  it('redirects plain HTTP to HTTPS', async () => {
    const location = await new Promise<string | undefined>((done, fail) => {
      const call = requestHttp(
        { host: '127.0.0.1', port: httpPort, path: '/apps/notes', headers: { host: NAME } },
        (response) => {
          response.resume()
          expect(response.statusCode).toBe(301)
          done(response.headers.location)
        },
      )
      call.on('error', fail)
      call.end()
    })
    expect(location).toBe(`https://${NAME}/apps/notes`)
  })
})
