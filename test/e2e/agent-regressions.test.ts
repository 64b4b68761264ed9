// Regression tests, on real rootless Podman, for the failures issue 5 names under "Why", one
// describe each that runs here; the rest are covered elsewhere, and not repeated:
// (a) A second container on the same data directory after a half-finished install:
//     test/e2e/agent-faults.test.ts, "converges after a SIGKILL following any external call of an
//     install" (exactly one container, data intact), and the "recreates a container whose create
//     never recorded its hash" rows of test/node-agent/agent-reconcile-decision.test.ts.
// (b) "No apps installed" while `podman ps` was slow: test/e2e/agent-podman-misbehaving.test.ts,
//     "times out a hanging ps, kills it, and status still lists the app" (CLI and daemon), with
//     test/node-agent/agent-state.test.ts and agent-reconcile-pass.test.ts (a failing listing).
// (c) A pinned version reverted on every reconcile: test/e2e/agent-update.test.ts, "holds a
//     pinned version against update, reconcile and reinstall".
// (f) No comeback after a reboot because the user manager never started: the linger warning,
//     test/node-agent/agent-daemon.test.ts "checkLinger", and the real reboot of a lingering
//     user's quadlet-mode app under systemd-nspawn, test/reboot/quadlet-reboot.test.ts.
// (d) runs here with a process that exits; one that stays up on the wrong port (unhealthy, not
//     crashing) is in test/node-agent/crash-loop.test.ts, as its install waits 120 s for health.
// Also here: a name held by a container `podman ps` does not list (issue 5's reconciler).
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { Exec } from '../../node-agent/exec.js'
import type { RegistryNode } from '../../registry/index.js'
import { runCli } from '../support/cli.js'
import { ensureExampleImages, makeTestUserRoot, startBedRegistry } from '../support/e2e-bed.js'
import { describePodman, podmanAsTestUser, runArchyAsTestUser } from '../support/podman-user.js'

const CRASH = 'reg-crash-web'
const HOOKED = 'reg-hooked-web'
const TAKEN = 'reg-taken-web'
const APPS = [CRASH, HOOKED, TAKEN]
const EXAMPLES = path.resolve('examples/apps')

/** A one-container app on busybox httpd; `extra` is appended under `app:`. */
function manifest(id: string, version: string, command: string, port: number, extra = ''): string {
  return [
    'app:',
    `  id: ${id}`,
    `  name: ${id}`,
    `  version: ${version}`,
    '  container:',
    '    image: file:image.tar',
    '    network: reg-net',
    `    command: [sh, -c, '${command}']`,
    '  ports:',
    `    - { host: ${port}, container: 8080 }`,
    '  volumes:',
    `    - { type: bind, source: /var/lib/archipelago/${id}/www, target: /www }`,
    '  files:',
    `    - { path: /var/lib/archipelago/${id}/www/index.html, content: "${id} page" }`,
    '  health_check: { type: tcp, port: 8080, interval: 2s, timeout: 2s, retries: 2 }',
    extra,
  ].join('\n')
}

// Podman 4.3 calls a container its restart policy was restarting `stopped` once stopped.
const NOT_RUNNING = /^(exited|stopped)$/
const SERVE = 'trap "exit 0" TERM; httpd -f -p 8080 -h /www & wait'

describePodman('agent regressions (issue 5)', () => {
  let registry: RegistryNode
  let asUser: Exec
  let root: string
  let place: string[]
  let work: string
  let key: string

  const archy = (...args: string[]) =>
    runArchyAsTestUser([...args, ...place], { timeoutMs: 300_000 })
  const status = async (appId: string) => {
    const result = await archy('agent', 'status', '--json')
    expect(result.code, result.stderr).toBe(0)
    type App = Record<string, unknown> & { appId: string; members: Record<string, unknown>[] }
    const apps = (JSON.parse(result.stdout) as { apps: App[] }).apps
    return apps.find((app) => app.appId === appId)!
  }
  const inspect = async (name: string) => {
    const format = '{{.Id}} {{.State.Status}} {{.RestartCount}}'
    const out = (await asUser('podman', ['container', 'inspect', '--format', format, name])).stdout
    const [id, state, restarts] = out.trim().split(' ')
    return { id, state, restarts: Number(restarts) }
  }
  const containersNamed = async (name: string): Promise<string[]> => {
    const listed = await asUser('podman', ['ps', '-a', '--external', '--format', 'json'])
    const all = JSON.parse(listed.stdout || '[]') as { Names: string[]; Id: string }[]
    return all.filter((container) => container.Names.includes(name)).map((c) => c.Id)
  }
  const publish = async (id: string, version: string, text: string) => {
    const dir = path.join(work, `${id}-${version}`)
    mkdirSync(dir, { recursive: true })
    copyFileSync(`${EXAMPLES}/hello-web/image.tar`, `${dir}/image.tar`)
    writeFileSync(`${dir}/manifest.yml`, `${text}\n`)
    const published = await runCli([
      'publish',
      `${dir}/manifest.yml`,
      '--key',
      key,
      '--registry',
      registry.url,
    ])
    expect(published.out, published.err).toMatch(/registry: accepted/)
    // The catalog that lists it is signed shortly after.
    for (let tries = 0; tries < 100; tries += 1) {
      const catalog = (await (await fetch(`${registry.url}/v1/catalog`)).json()) as {
        apps: { id: string; version: string }[]
      }
      if (catalog.apps.some((app) => app.id === id && app.version === version)) return
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error(`${id} ${version} never reached the catalog`)
  }

  beforeAll(async () => {
    asUser = podmanAsTestUser()
    await cleanUp(asUser)
    ;({ root, place } = await makeTestUserRoot(asUser, 'reg-agent'))
    ensureExampleImages()
    ;({ work, registry, key } = await startBedRegistry('archy-reg-node'))
    const follow = await archy('agent', 'add-registry', registry.url, '--did', registry.did)
    expect(follow.code, follow.stderr).toBe(0)
  }, 300_000)

  afterAll(async () => {
    await registry?.close()
    if (asUser) await cleanUp(asUser)
    if (root) await asUser('podman', ['unshare', 'rm', '-rf', root], { allowFailure: true })
  }, 120_000)

  describe('(d) a crash loop on a port mismatch', () => {
    // The manifest's port and health check are 8080; the process binds 80, which it may not
    // (no capability), and exits at once: Podman's restart policy would restart it forever.
    it('backs the app off and reports it instead of restarting it forever', async () => {
      await publish(CRASH, '1.0.0', manifest(CRASH, '1.0.0', 'httpd -f -p 80 -h /www', 28220))
      const install = await archy('agent', 'install', CRASH)
      expect(install.code).toBe(1)
      expect(install.stderr).toMatch(new RegExp(`${CRASH}: the container (exited|stopped)`))
      expect(await status(CRASH)).toMatchObject({ crashLoop: { state: 'failing' } })

      // The next pass counts the restarts Podman made, and stops it: a crash loop.
      const pass = await archy('agent', 'reconcile')
      expect(pass.code, pass.stderr).toBe(0)
      const looping = await status(CRASH)
      expect(looping).toMatchObject({
        members: [
          { appId: CRASH, state: 'crash-loop', podmanState: expect.stringMatching(NOT_RUNNING) },
        ],
        crashLoop: { state: 'crash-loop', memberId: CRASH, nextRetryAt: expect.any(String) },
      })
      const text = (await archy('agent', 'status')).stdout
      expect(text).toMatch(
        new RegExp(`crash-loop: ${CRASH} failed \\d+ times.*next retry at .*agent start ${CRASH}`),
      )

      // Backing off: more passes start nothing, and the container is no longer restarted.
      const held = await inspect(CRASH)
      expect(held.state).toMatch(NOT_RUNNING)
      expect((await archy('agent', 'reconcile')).code).toBe(0)
      await new Promise((resolve) => setTimeout(resolve, 2000))
      expect(await inspect(CRASH)).toEqual(held)
      expect(await containersNamed(CRASH)).toHaveLength(1)

      // Once the retry is due, a pass tries again, fails, and backs off twice as long.
      const db = `${root}/state/agent.sqlite`
      const due = `UPDATE crash_loops SET record = json_set(record, '$.nextRetryAt', '2000-01-01T00:00:00Z')`
      await asUser('sqlite3', [db, due])
      const before = Date.now()
      const retry = await archy('agent', 'reconcile')
      expect(retry.code).toBe(1)
      expect(retry.stderr).toMatch(new RegExp(`${CRASH}: the container (exited|stopped)`))
      const doubled = (await status(CRASH)).crashLoop as { nextRetryAt: string }
      expect(Date.parse(doubled.nextRetryAt) - before).toBeGreaterThan(110_000)
      expect((await inspect(CRASH)).state).toMatch(NOT_RUNNING)

      // `agent start` retries at once; the data stays throughout.
      const start = await archy('agent', 'start', CRASH)
      expect(start.code).toBe(1)
      expect(await status(CRASH)).toMatchObject({ crashLoop: { state: 'failing', failures: 1 } })
      const page = await asUser('cat', [`${root}/apps/${CRASH}/www/index.html`])
      expect(page.stdout).toBe(`${CRASH} page`)
      expect((await archy('agent', 'uninstall', CRASH)).code).toBe(0)
    }, 300_000)
  })

  describe('(e) post-install changes lost when a container is recreated', () => {
    // The hook changes the container's own layer and appends to its data; a recreate (an update)
    // must run it again and keep the data, and a pass after it must not recreate again.
    const hook = (version: string) =>
      [
        '  security: { readonly_root: false }',
        '  hooks:',
        '    post_install:',
        `      - exec: { command: [sh, -c, 'echo ${version} > /hooked; echo ${version} >> /www/hook-runs'] }`,
      ].join('\n')

    it('runs the hooks again on the new container and keeps what the data held', async () => {
      await publish(HOOKED, '1.0.0', manifest(HOOKED, '1.0.0', SERVE, 28221, hook('1.0.0')))
      const install = await archy('agent', 'install', HOOKED)
      expect(install.code, install.stderr).toBe(0)
      const first = await inspect(HOOKED)
      const note = `${root}/apps/${HOOKED}/www/user-note`
      await asUser('podman', ['unshare', 'sh', '-c', 'echo mine > "$1"', 'sh', note])

      await publish(HOOKED, '1.0.1', manifest(HOOKED, '1.0.1', SERVE, 28221, hook('1.0.1')))
      const update = await archy('agent', 'update', HOOKED)
      expect(update.code, update.stderr).toBe(0)
      const second = await inspect(HOOKED)
      expect(second.id).not.toBe(first.id)
      expect((await asUser('podman', ['exec', HOOKED, 'cat', '/hooked'])).stdout).toBe('1.0.1\n')
      const runs = await asUser('podman', ['exec', HOOKED, 'cat', '/www/hook-runs'])
      expect(runs.stdout).toBe('1.0.0\n1.0.1\n')
      expect((await asUser('cat', [note])).stdout).toBe('mine\n')
      const page = await fetch('http://127.0.0.1:28221/index.html')
      expect(await page.text()).toBe(`${HOOKED} page`)

      expect((await archy('agent', 'reconcile')).code).toBe(0)
      expect((await inspect(HOOKED)).id).toBe(second.id)
      expect(await containersNamed(HOOKED)).toHaveLength(1)
      expect((await archy('agent', 'uninstall', HOOKED)).code).toBe(0)
    }, 300_000)
  })

  describe('a name held by a container podman ps does not list', () => {
    it('fails naming it, removes nothing, and installs once it is gone', async () => {
      await publish(TAKEN, '1.0.0', manifest(TAKEN, '1.0.0', SERVE, 28222))
      // A storage-only container (what buildah makes, or an interrupted podman run leaves).
      await asUser('buildah', ['from', '--name', TAKEN, 'localhost/archy-busybox:1'])
      const refused = await archy('agent', 'install', TAKEN)
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain(
        `the name ${TAKEN} is held by a container podman ps does not list`,
      )
      expect(refused.stderr).toContain(`podman rm --force ${TAKEN}`)
      expect(await containersNamed(TAKEN)).toHaveLength(1)
      expect(await status(TAKEN)).toMatchObject({ members: [{ state: 'absent' }] })

      await asUser('podman', ['rm', '--force', TAKEN])
      const install = await archy('agent', 'install', TAKEN)
      expect(install.code, install.stderr).toBe(0)
      expect(await (await fetch('http://127.0.0.1:28222/index.html')).text()).toBe(`${TAKEN} page`)
      expect((await archy('agent', 'uninstall', TAKEN)).code).toBe(0)
    }, 300_000)
  })
})

/** Removes what these tests may have left as the test user. */
async function cleanUp(asUser: Exec): Promise<void> {
  for (const name of APPS) {
    await asUser('podman', ['rm', '-f', '--ignore', name], { allowFailure: true })
  }
  await asUser('podman', ['network', 'rm', '-f', 'reg-net'], { allowFailure: true })
}
