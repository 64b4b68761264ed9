// Fault injection on real rootless Podman: `archy agent install` killed with SIGKILL after each
// of its external calls in turn (ARCHY_TEST_KILL_AFTER_CALLS, node-agent/exec.ts), then run
// again: every time exactly one container, the page served and the data written before intact.
// Then a Podman that fails (a wrapper on PATH): status still lists the app.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'

import type { Exec } from '../../node-agent/exec.js'
import type { RegistryNode } from '../../registry/index.js'
import { runCli } from '../support/cli.js'
import { ensureExampleImages, makeTestUserRoot, startBedRegistry } from '../support/e2e-bed.js'
import { describePodman, podmanAsTestUser, runArchyAsTestUser } from '../support/podman-user.js'
import { writeGateExamples } from '../gate/gate-apps.js'

const APP = 'fault-hello-web'
const URL = 'http://127.0.0.1:38080/'
const MAX_CALLS = 80

describePodman('archy agent killed between Podman calls', () => {
  let registry: RegistryNode
  let asUser: Exec
  let root: string
  let place: string[]

  const archy = (args: string[], env: Record<string, string> = {}) =>
    runArchyAsTestUser([...args, ...place], { env, timeoutMs: 300_000 })
  const containersNamed = async (): Promise<string[]> => {
    const listed = await asUser('podman', ['ps', '-a', '--format', 'json'])
    const all = JSON.parse(listed.stdout || '[]') as { Names: string[]; Id: string }[]
    return all.filter((container) => container.Names.includes(APP)).map((c) => c.Id)
  }
  const marker = () => readFileSync(path.join(root, 'apps', APP, 'www', 'fault-marker'), 'utf8')

  beforeAll(async () => {
    asUser = podmanAsTestUser()
    await cleanUp(asUser)
    ;({ root, place } = await makeTestUserRoot(asUser, 'fault-agent'))

    const examples = path.resolve('examples/apps')
    ensureExampleImages()
    const started = await startBedRegistry('archy-fault-node')
    registry = started.registry
    const { work, key } = started
    const [hello] = writeGateExamples(examples, `${work}/apps`, 'fault', 38000)
    const published = await runCli(['publish', ...hello!, '--key', key, '--registry', registry.url])
    expect(published.out, published.err).toMatch(/registry: accepted/)
    const follow = await archy(['agent', 'add-registry', registry.url, '--did', registry.did])
    expect(follow.code, follow.stderr).toBe(0)

    // A first install writes the data every later one must keep.
    expect((await archy(['agent', 'install', APP])).code).toBe(0)
    const file = path.join(root, 'apps', APP, 'www', 'fault-marker')
    await asUser('podman', ['unshare', 'sh', '-c', 'echo kept > "$1"', 'sh', file])
    expect((await archy(['agent', 'uninstall', APP])).code).toBe(0)
  }, 300_000)

  afterAll(async () => {
    await registry?.close()
    if (asUser) await cleanUp(asUser)
    if (root) await asUser('podman', ['unshare', 'rm', '-rf', root], { allowFailure: true })
  }, 120_000)

  it('converges after a SIGKILL following any external call of an install', async () => {
    let killedRuns = 0
    for (let calls = 1; calls <= MAX_CALLS; calls += 1) {
      const killed = await archy(['agent', 'install', APP], {
        ARCHY_TEST_KILL_AFTER_CALLS: String(calls),
      })
      const finished = killed.code === 0

      // The user's retry (or the daemon's next pass) finishes what the killed run began.
      const retry = await archy(['agent', 'install', APP])
      expect(retry.code, `after call ${calls}: ${retry.stderr}`).toBe(0)
      expect(await containersNamed(), `after call ${calls}`).toHaveLength(1)
      const page = await fetch(URL, { signal: AbortSignal.timeout(10_000) })
      expect(page.status, `after call ${calls}`).toBe(200)
      expect(marker(), `after call ${calls}`).toBe('kept\n')

      expect((await archy(['agent', 'uninstall', APP])).code).toBe(0)
      if (finished) break
      expect(killed.code, `run killed after call ${calls}`).toBe(137)
      killedRuns += 1
    }
    console.log(`fault injection: install killed after each of its first ${killedRuns} calls`)
    // An install makes more external calls than this; all of them were crash points.
    expect(killedRuns).toBeGreaterThan(5)
    expect(killedRuns).toBeLessThan(MAX_CALLS)
  }, 1_800_000)

  it('lists every installed app while Podman fails, then converges', async () => {
    expect((await archy(['agent', 'install', APP])).code).toBe(0)
    // A `podman` ahead of the real one on PATH: every other call fails as a broken Podman does.
    const wrapper = `${root}/flaky-bin`
    const script = [
      '#!/bin/sh',
      `count=$(cat ${root}/flaky-count 2>/dev/null || echo 0); count=$((count + 1))`,
      `echo $count > ${root}/flaky-count`,
      `if [ "$FLAKY_EVERY" -gt 0 ] && [ $((count % FLAKY_EVERY)) -eq 0 ]; then`,
      '  echo "flaky podman: injected failure" >&2; exit 125',
      'fi',
      'exec /usr/bin/podman "$@"',
    ].join('\n')
    await asUser(
      'sh',
      ['-c', `mkdir -p "$1" && cat > "$1/podman" && chmod 755 "$1/podman"`, 'sh', wrapper],
      {
        input: `${script}\n`,
      },
    )
    const flaky = (every: number, ...args: string[]) =>
      archy(args, { PATH: `${wrapper}:/usr/sbin:/usr/bin:/sbin:/bin`, FLAKY_EVERY: String(every) })

    // A failed listing is asked again (node-agent/podman-retry.ts): every other call failing
    // never shows; every call failing shows the app with its state unknown, never absent.
    for (let run = 0; run < 3; run += 1) {
      const status = JSON.parse((await flaky(2, 'agent', 'status', '--json')).stdout)
      expect(status.apps[0].members[0].state).toBe('running')
    }
    const status = await flaky(1, 'agent', 'status', '--json')
    expect(status.code, status.stderr).toBe(0)
    const parsed = JSON.parse(status.stdout)
    expect(parsed.apps.map((app: { appId: string }) => app.appId)).toEqual([APP])
    expect(parsed.apps[0].members[0].state).toBe('unknown')
    expect(parsed.podmanError).toMatch(/exited with 125: .* \(3 attempts\)$/)

    const broken = await flaky(1, 'agent', 'reconcile')
    expect(broken.code).toBe(1)
    expect(broken.stderr).toContain(`${APP}: cannot list containers`)
    expect(broken.stdout.trim()).toBe('no step taken: 1 error (above)')
    const after = JSON.parse((await flaky(0, 'agent', 'status', '--json')).stdout)
    expect(after.apps[0].members[0].state).toBe('running')
    expect((await flaky(0, 'agent', 'reconcile')).code).toBe(0)
    expect(await containersNamed()).toHaveLength(1)
  }, 300_000)
})

/** Removes what these tests may have left as the test user. */
async function cleanUp(asUser: Exec): Promise<void> {
  await asUser('podman', ['rm', '-f', '--ignore', APP], { allowFailure: true })
  await asUser('podman', ['network', 'rm', '-f', 'fault-net'], { allowFailure: true })
}
