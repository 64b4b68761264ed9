// A real reboot under systemd (issue #5): a Debian trixie machine booted with systemd-nspawn runs
// the agent daemon from deploy/archy-agent.service as a lingering user, which installs two example
// apps in quadlet mode from a registry on the host; the machine is powered off and booted again,
// and the apps, their data and the agent's status come back with nothing done by hand. A third
// boot keeps a stopped app stopped, and an update then goes through the app's unit.
import { createHash } from 'node:crypto'
import {
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'

import { execCommand, type ExecResult } from '../../node-agent/exec.js'
import { startRegistryNode, type RegistryNode } from '../../registry/index.js'
import { ArchyError } from '../../src/errors.js'
import { writeGateExamples } from '../gate/gate-apps.js'
import { runCli } from '../support/cli.js'
import { bootMachine, type Machine, type MachineUser } from '../support/nspawn-machine.js'
import { prepareReadableCopy, repoRoot } from '../support/podman-user.js'
import { ROOTFS, describeReboot, readGuestUser } from '../support/reboot-host.js'
import { pollUntil, requireFreePorts, stopStaleMachine, useHostSysctl } from './reboot-steps.js'

// Names and ports of this suite only (rb-, 28190-28199): other Podman tests run beside it.
const WORK = '/var/tmp/archy-rb'
const HELLO_URL = 'http://127.0.0.1:28190/'
const NOTES_URL = 'http://127.0.0.1:28191/cgi-bin/value'
const UNITS = ['rb-hello-web', 'rb-notes-api', 'rb-notes-web']
const PROJECT_IN_GUEST = 'archipelago-registry'
const NOTES_VALUE_FILE = '.local/share/archipelago/apps/rb-notes-api/data/value'

describeReboot('the agent in quadlet mode across a real reboot (systemd-nspawn)', () => {
  let registry: RegistryNode
  let machine: Machine | undefined
  let user: MachineUser
  let notesValue = ''
  let publisherKey = ''
  const started = Date.now()
  let restoreSysctl = (): void => undefined

  // The steps build on each other: after a failure the rest fail at once instead of waiting.
  let failed: string | undefined
  const stepIt = (name: string, fn: () => Promise<void>, timeoutMs: number): void => {
    it(
      name,
      async () => {
        if (failed !== undefined) throw new ArchyError('reboot-step', `not run: ${failed} failed`)
        await fn().catch((error: unknown) => {
          failed = `"${name}"`
          throw error
        })
      },
      timeoutMs,
    )
  }
  const step = (name: string): void =>
    console.log(`[reboot ${((Date.now() - started) / 1000).toFixed(1)} s] ${name}`)
  const inside = (args: string[], allowFailure = false): Promise<ExecResult> =>
    machine!.runAs(user, args, { allowFailure, timeoutMs: 300_000 })
  const archy = async (...args: string[]): Promise<string> =>
    (await inside(['archy', ...args])).stdout
  const boot = async (label: string): Promise<void> => {
    machine = await bootMachine({
      root: `${WORK}/root`,
      name: 'rb-trixie',
      bindReadOnly: { [await prepareReadableCopy()]: `${user.home}/${PROJECT_IN_GUEST}` },
      consoleLog: `${WORK}/console-${label}.log`,
    })
    step(`${label}: booted (nspawn ${machine.pid}, PID 1 ${machine.leader})`)
  }
  const powerOff = async (): Promise<void> => {
    const outcome = await machine!.powerOff()
    step(`powered off (${outcome})`)
    expect(outcome).toBe('clean')
  }

  beforeAll(async () => {
    await stopStaleMachine(WORK)
    await requireFreePorts([28190, 28191])
    rmSync(WORK, { recursive: true, force: true })
    mkdirSync(WORK, { recursive: true })
    restoreSysctl = useHostSysctl('net/unix/max_dgram_qlen', `${WORK}.sysctl`)
    await execCommand('cp', ['-a', '--reflink=auto', ROOTFS, `${WORK}/root`], {
      timeoutMs: 120_000,
    })
    user = readGuestUser(`${WORK}/root`)
    // Staged in the user's home; installed inside as the unit's header says.
    const unit = `${WORK}/root${user.home}/archy-agent.service`
    copyFileSync(`${repoRoot}deploy/archy-agent.service`, unit)
    chownSync(unit, user.uid, user.uid)
    await prepareReadableCopy()
    step('machine tree copied, project copy ready')

    registry = await startRegistryNode({
      dataDir: mkdtempSync(path.join(tmpdir(), 'archy-rb-node-')),
      host: '127.0.0.1',
      port: 0,
    })
    publisherKey = await publishExamples(registry)
    step(`registry on ${registry.url} lists rb-hello-web and rb-notes-web`)
  }, 300_000)

  afterAll(async () => {
    if (failed !== undefined && machine?.running()) await saveJournal(machine)
    // Never leave a machine running: an orderly poweroff, killed only as the last resort.
    if (machine?.running()) await machine.powerOff()
    restoreSysctl()
    await registry?.close()
    if (machine === undefined || !machine.running()) rmSync(WORK, { recursive: true, force: true })
    step('cleaned up')
  }, 180_000)

  stepIt(
    'boots trixie under systemd and lingers the agent user, whose manager then runs',
    async () => {
      await boot('boot 1')
      await machine!.run('loginctl', ['enable-linger', user.name])
      await pollUntil('the user manager', async () => {
        const result = await inside(['systemctl', '--user', 'is-system-running'], true)
        return ['running', 'degraded'].includes(result.stdout.trim())
      })
      const linger = await machine!.run('loginctl', ['show-user', user.name, '-p', 'Linger'])
      expect(linger.stdout.trim()).toBe('Linger=yes')
      step('linger on, user manager running')
    },
    180_000,
  )

  stepIt(
    'runs the daemon from deploy/archy-agent.service; it probes quadlet mode',
    async () => {
      const unitDir = '.config/systemd/user'
      const installed = `${unitDir}/archy-agent.service`
      await inside(['install', '-D', '-m', '0644', 'archy-agent.service', installed])
      await inside(['systemctl', '--user', 'daemon-reload'])
      await inside(['systemctl', '--user', 'enable', '--now', 'archy-agent.service'])
      await pollUntil('the daemon', async () => (await agentLog()).includes('agent daemon started'))
      const log = await agentLog()
      expect(log).toMatch(/"podman":"5\.\d+\.\d+","quadlet":"available","msg":"runtime probed"/)
      expect(log).not.toContain('apps may not come back after a reboot')

      const added = await archy('agent', 'add-registry', registry.url, '--did', registry.did)
      expect(added).toContain(`pinned ${registry.did}`)
      step('daemon running, registry followed')
    },
    180_000,
  )

  stepIt(
    'installs the apps in quadlet mode; they answer on the host',
    async () => {
      expect(await archy('agent', 'install', 'rb-hello-web')).toContain('installed rb-hello-web')
      expect(await archy('agent', 'install', 'rb-notes-web')).toContain('installed rb-notes-web')
      const status = await agentStatus()
      expect(status.apps.map((app) => [app.appId, app.mode])).toEqual([
        ['rb-hello-web', 'quadlet'],
        ['rb-notes-web', 'quadlet'],
      ])
      const units = await inside(['ls', '.config/containers/systemd'])
      for (const name of UNITS) expect(units.stdout).toContain(`${name}.container`)

      expect(await httpGet(HELLO_URL)).toContain('Hello from Archipelago')
      notesValue = (await httpGet(NOTES_URL)).trim()
      const secret = (await inside(['cat', `${stateDir()}/secrets/rb-notes-api/rb-notes-token`]))
        .stdout
      expect(notesValue).toBe(`value-${sha256(secret).slice(0, 16)}`)

      // Data the app serves, written as its data_uid inside the user namespace.
      const www = '.local/share/archipelago/apps/rb-hello-web/www'
      await inside(['podman', 'unshare', 'sh', '-c', `echo before-reboot > ${www}/marker.txt`])
      expect(await httpGet(`${HELLO_URL}marker.txt`)).toBe('before-reboot\n')
      // notes-api's post_install hook writes this file: only its ExecStartPost= at the next
      // boot, with the same Podman secret, can bring the same value back.
      await inside(['podman', 'unshare', 'rm', NOTES_VALUE_FILE])
      step('apps installed in quadlet mode and answering')
    },
    300_000,
  )

  stepIt(
    'powers off with systemctl poweroff',
    async () => {
      await powerOff()
      await expect(fetch(HELLO_URL, { signal: AbortSignal.timeout(3000) })).rejects.toThrow()
    },
    180_000,
  )

  stepIt(
    'boots again: units, apps, data and status come back by themselves',
    async () => {
      await boot('boot 2')
      await pollUntil('the apps after boot', async () => {
        const [hello, notes] = await Promise.all([tryGet(HELLO_URL), tryGet(NOTES_URL)])
        return hello?.includes('Hello from Archipelago') === true && notes?.trim() === notesValue
      })
      step('apps answer after the reboot')
      const active = await inside(['systemctl', '--user', 'is-active', ...UNITS.map(serviceOf)])
      expect(active.stdout.trim().split('\n')).toEqual(['active', 'active', 'active'])
      expect(await httpGet(`${HELLO_URL}marker.txt`)).toBe('before-reboot\n')
      expect((await inside(['cat', NOTES_VALUE_FILE])).stdout.trim()).toBe(notesValue)

      const status = await agentStatus()
      const states = status.apps.flatMap((app) => app.members.map((m) => [m.appId, m.state]))
      expect(states).toEqual(UNITS.map((name) => [name, 'running']))
      const ps = await inside(['podman', 'ps', '-a', '--format', '{{.Names}}'])
      expect(ps.stdout.trim().split('\n').sort()).toEqual(UNITS)
      expect(await archy('agent', 'status')).toMatch(/rb-hello-web 1\.0\.0 \(quadlet mode/)
      // The daemon's boot pass found nothing to repair: systemd had brought everything back.
      expect(await agentLog()).not.toMatch(/"level":50/)
      step('status lists every app running, one container each')
    },
    300_000,
  )

  stepIt(
    'an app stopped with agent stop stays stopped across a reboot until agent start',
    async () => {
      await archy('agent', 'stop', 'rb-hello-web')
      await powerOff()
      await boot('boot 3')
      await pollUntil('the notes stack after boot', async () => {
        return (await tryGet(NOTES_URL))?.trim() === notesValue
      })
      const hello = await inside(['systemctl', '--user', 'is-active', 'rb-hello-web.service'], true)
      expect(hello.stdout.trim()).toBe('inactive')
      expect(await tryGet(HELLO_URL)).toBeUndefined()
      const ps = await inside(['podman', 'ps', '-a', '--format', '{{.Names}}'])
      expect(ps.stdout.trim().split('\n').sort()).toEqual(['rb-notes-api', 'rb-notes-web'])
      step('boot 3: the stopped app stayed stopped')

      await archy('agent', 'start', 'rb-hello-web')
      expect(await httpGet(`${HELLO_URL}marker.txt`)).toBe('before-reboot\n')
      expect(await agentLog()).not.toMatch(/"level":50/)
      step('agent start brought it back')
    },
    300_000,
  )

  stepIt(
    'updates rb-hello-web through its unit: data kept, nothing restarted behind systemd',
    async () => {
      await publishHelloUpdate(registry, publisherKey)
      const updated = await archy('agent', 'update', 'rb-hello-web')
      expect(updated).toMatch(/rb-hello-web.*1\.0\.0.*1\.0\.1/)
      const app = (await agentStatus()).apps.find((entry) => entry.appId === 'rb-hello-web')
      expect([app?.version, app?.mode]).toEqual(['1.0.1', 'quadlet'])
      const unit = await inside(['cat', '.config/containers/systemd/rb-hello-web.container'])
      expect(unit.stdout).toContain('Image=localhost/archy/rb-hello-web:1.0.1')
      expect(await httpGet(`${HELLO_URL}marker.txt`)).toBe('before-reboot\n')
      // A container stopped behind systemd's back is started again at once (Restart=always),
      // while the update copies its data.
      const journal = await machine!.run('journalctl', [
        '--boot',
        '--no-pager',
        '-o',
        'cat',
        'USER_UNIT=rb-hello-web.service',
      ])
      expect(journal.stdout).not.toContain('Scheduled restart job')
      step('updated to 1.0.1 in quadlet mode')
    },
    300_000,
  )

  stepIt(
    'uninstall removes the units and containers and keeps the data',
    async () => {
      await archy('agent', 'uninstall', 'rb-notes-web')
      const units = await inside(['ls', '.config/containers/systemd'])
      expect(units.stdout).not.toMatch(/rb-notes-(api|web)\.container/)
      const ps = await inside(['podman', 'ps', '-a', '--format', '{{.Names}}'])
      expect(ps.stdout.trim()).toBe('rb-hello-web')
      expect((await inside(['cat', NOTES_VALUE_FILE])).stdout.trim()).toBe(notesValue)
      const left = await inside(['systemctl', '--user', 'is-active', 'rb-notes-web.service'], true)
      expect(left.stdout.trim()).not.toBe('active')
      step('rb-notes-web uninstalled, its data kept')
      await powerOff()
    },
    300_000,
  )

  async function agentLog(): Promise<string> {
    const args = ['journalctl', '--no-pager', '-o', 'cat', '_SYSTEMD_USER_UNIT=archy-agent.service']
    return (await machine!.run(args[0]!, args.slice(1))).stdout
  }

  async function agentStatus(): Promise<AgentStatus> {
    return JSON.parse(await archy('agent', 'status', '--json')) as AgentStatus
  }

  function stateDir(): string {
    return `${user.home}/.local/share/archipelago/agent`
  }
})

/** The machine's journal of this boot, kept under test-artifacts/ for a failure's detail. */
async function saveJournal(machine: Machine): Promise<void> {
  const dir = path.resolve(process.env.ARCHY_TEST_ARTIFACTS ?? 'test-artifacts')
  mkdirSync(dir, { recursive: true })
  const journal = await machine
    .run('journalctl', ['--boot', '--no-pager', '-o', 'short-monotonic'], { allowFailure: true })
    .catch((error: Error) => ({ stdout: error.message }))
  writeFileSync(path.join(dir, 'reboot-journal.log'), journal.stdout)
  console.log(`the machine's journal is in ${path.join(dir, 'reboot-journal.log')}`)
}

interface AgentStatus {
  apps: {
    appId: string
    version: string
    mode: string
    members: { appId: string; state: string }[]
  }[]
}

/** rb- copies of hello-web and the notes stack, published with the CLI; returns the key. */
async function publishExamples(registry: RegistryNode): Promise<string> {
  const examples = path.join(repoRoot, 'examples/apps')
  if (!existsSync(path.join(examples, 'hello-web/image.tar'))) {
    await execCommand('bash', [path.join(repoRoot, 'examples/images/build.sh')], {
      timeoutMs: 120_000,
    })
  }
  const work = mkdtempSync(path.join(tmpdir(), 'archy-rb-apps-'))
  const key = path.join(work, 'publisher.keys')
  expect((await runCli(['keys', 'new', '--out', key])).code).toBe(0)
  // Ports 28190 and 28191, networks rb-net and rb-notes-net.
  for (const manifests of writeGateExamples(examples, work, 'rb', 28110)) {
    const result = await runCli(['publish', ...manifests, '--key', key, '--registry', registry.url])
    expect(result.out, result.err).toMatch(/registry: accepted/)
  }
  await pollUntil('the catalog', async () => {
    const catalog = (await (await fetch(`${registry.url}/v1/catalog`)).json()) as {
      apps: unknown[]
    }
    return catalog.apps.length === 2
  })
  return key
}

/** rb-hello-web 1.0.1 by the same publisher: the same app with the next version. */
async function publishHelloUpdate(registry: RegistryNode, key: string): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'archy-rb-update-'))
  const [hello] = writeGateExamples(path.join(repoRoot, 'examples/apps'), work, 'rb', 28110)
  const manifest = hello![0]!
  writeFileSync(
    manifest,
    readFileSync(manifest, 'utf8').replace('version: 1.0.0', 'version: 1.0.1'),
  )
  const result = await runCli(['publish', manifest, '--key', key, '--registry', registry.url])
  expect(result.out, result.err).toMatch(/registry: accepted/)
}

function serviceOf(name: string): string {
  return `${name}.service`
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

async function httpGet(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) })
  expect(response.status, url).toBe(200)
  return response.text()
}

async function tryGet(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) })
    return response.status === 200 ? await response.text() : undefined
  } catch {
    return undefined
  }
}
