// The agent's state: the exclusive lock, the SQLite store, the node keys made on first run, and a
// status that keeps installed apps visible when Podman fails.
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { openAgent } from '../../node-agent/agent-context.js'
import { openAgentStore, type InstallRecord } from '../../node-agent/agent-store.js'
import { createStubExec } from '../../node-agent/exec.js'
import { parseDefaultRouteInterface } from '../../node-agent/host-values.js'
import { acquireStateLock } from '../../node-agent/state-lock.js'
import { collectStatus, renderStatus } from '../../node-agent/status.js'
import { runCli } from '../support/cli.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'agent-state-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const install: InstallRecord = {
  appId: 'notes-web',
  registryUrl: 'http://127.0.0.1:1',
  publisherDid: 'did:key:z6MkExample',
  version: '1.0.0',
  release: { type: 'ArchipelagoRelease' },
  desired: 'running',
  mode: 'podman',
  warnings: ['notes-web: app.resources: cannot enforce'],
  lastError: null,
  installedAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
}
const member = (appId: string, position: number) => ({
  appId,
  installId: 'notes-web',
  position,
  containerName: appId,
  configHash: 'h',
  adopted: false,
})

describe('acquireStateLock', () => {
  it('makes a second taker wait, then fail naming the holder', async () => {
    const file = path.join(dir, 'lock')
    const held = await acquireStateLock(file)
    await expect(acquireStateLock(file, { waitMs: 200, pollMs: 20 })).rejects.toThrow(
      new RegExp(`locked by process ${process.pid} \\(another archy agent command is running\\)`),
    )
    await held.release()
    const again = await acquireStateLock(file, { waitMs: 200 })
    await again.release()
  })

  it('takes over a stale lock whose process is gone', async () => {
    const file = path.join(dir, 'lock')
    await writeFile(file, '999999999\n')
    const lock = await acquireStateLock(file, { waitMs: 200 })
    await lock.release()
  })
})

describe('openAgentStore', () => {
  it('keeps installs with their members in stack order and deletes them together', () => {
    const store = openAgentStore(path.join(dir, 'agent.sqlite'))
    store.saveInstall(install, [member('notes-api', 0), member('notes-web', 1)])
    expect(store.findOwner('notes-api')).toBe('notes-web')
    expect(store.listMembers('notes-web').map((m) => m.appId)).toEqual(['notes-api', 'notes-web'])
    store.updateMember('notes-api', { adopted: true, containerName: 'legacy_api' })
    expect(store.listMembers('notes-web')[0]).toMatchObject({
      adopted: true,
      containerName: 'legacy_api',
    })
    store.deleteInstall('notes-web')
    expect(store.findOwner('notes-api')).toBeUndefined()
    store.close()
  })

  it('records a registry pin and its accepted catalog', () => {
    const store = openAgentStore(path.join(dir, 'agent.sqlite'))
    store.addRegistry('http://r', 'did:key:z6MkA')
    store.acceptCatalog('http://r', { sequence: 3, contentDigest: 'd', catalog: { apps: [] } })
    expect(store.getRegistry('http://r')).toMatchObject({
      did: 'did:key:z6MkA',
      sequence: 3,
      contentDigest: 'd',
    })
    store.close()
  })
})

describe('a damaged agent.sqlite', () => {
  it('is refused at open naming the file and the way back, for damaged pages or no database', async () => {
    const file = path.join(dir, 'agent.sqlite')
    const store = openAgentStore(file)
    for (let i = 0; i < 40; i += 1) {
      store.saveInstall({ ...install, appId: `app-${i}`, release: { pad: 'x'.repeat(2000) } }, [
        member(`app-${i}`, 0),
      ])
    }
    store.close()
    const bytes = await readFile(file)
    bytes.fill(0xab, 4096 * 2, bytes.length - 4096)
    await writeFile(file, bytes)
    const damaged = /agent\.sqlite: cannot be read \(.*\); .*restore the file from a backup/
    expect(() => openAgentStore(file)).toThrow(damaged)
    expect(() => openAgentStore(file)).toThrow(/containers and app data are untouched/)

    await writeFile(file, 'not a database at all, but long enough to be read as a header......')
    expect(() => openAgentStore(file)).toThrow(/agent\.sqlite: cannot be read \(file is not a/)
  })

  it('makes an agent command fail with that one line', async () => {
    const state = path.join(dir, 'state')
    await mkdir(state, { recursive: true })
    await writeFile(path.join(state, 'agent.sqlite'), 'x'.repeat(8192))
    const run = await runCli(['agent', 'status', '--state', state, '--host-ip', '192.0.2.1'])
    expect(run.code).toBe(1)
    expect(run.err).toMatch(/state\/agent\.sqlite: cannot be read .* restore the file from a back/)
  })
})

describe('openAgent', () => {
  it('makes the node keys on first run as a 0600 file and fills the placeholders', async () => {
    const state = path.join(dir, 'state')
    const agent = await openAgent({
      state,
      dataRoot: path.join(dir, 'apps'),
      hostIp: '192.0.2.7',
      exec: createStubExec([]),
    })
    const values = agent.context.values
    await agent.close()
    expect((await stat(path.join(state, 'node-keys.json'))).mode & 0o777).toBe(0o600)
    expect(values.HOST_IP).toBe('192.0.2.7')
    expect(values.NODE_NOSTR_PUBKEY).toMatch(/^[0-9a-f]{64}$/)
    expect(values.NODE_IDENTITY_PUBKEYS).toMatch(/^[0-9a-f]{64},[0-9a-f]{64}$/)
    const again = await openAgent({ state, exec: createStubExec([]) })
    expect(again.context.values.NODE_NOSTR_PUBKEY).toBe(values.NODE_NOSTR_PUBKEY)
    await again.close()
  })

  it('refuses a --host-ip that is not IPv4, releasing the lock', async () => {
    const state = path.join(dir, 'state')
    await expect(openAgent({ state, hostIp: 'nope' })).rejects.toThrow(
      /--host-ip: "nope" is not an IPv4/,
    )
    const agent = await openAgent({ state, lockWaitMs: 100, exec: createStubExec([]) })
    await agent.close()
  })
})

describe('collectStatus', () => {
  it('shows installed apps with unknown states when podman ps fails', async () => {
    const exec = createStubExec([
      {
        command: 'podman',
        args: ['ps', '-a', '--format', 'json'],
        result: { exitCode: 125, stderr: 'boom' },
        // A listing changes nothing, so a failed one is tried again (podman-retry.ts).
        times: 3,
      },
    ])
    const agent = await openAgent({ state: path.join(dir, 'state'), exec })
    agent.store.saveInstall(install, [member('notes-api', 0), member('notes-web', 1)])
    const status = await collectStatus(agent)
    await agent.close()
    exec.assertAllUsed()
    expect(status.apps.map((app) => app.appId)).toEqual(['notes-web'])
    expect(status.apps[0]!.members.map((m) => m.state)).toEqual(['unknown', 'unknown'])
    expect(status.podmanError).toMatch(/exited with 125: boom \(3 attempts\)/)
    expect(renderStatus(status)).toMatch(/warning: notes-web: app\.resources/)
  })
})

describe('archy agent status on a state that does not exist', () => {
  it('reports nothing followed or installed and creates nothing', async () => {
    const state = path.join(dir, 'never', 'made')
    const args = ['agent', 'status', '--state', state, '--data-root', path.join(dir, 'apps')]
    const run = await runCli(args)
    expect(run).toEqual({
      code: 0,
      out: `no agent state in ${state}: no registries followed, no apps installed`,
      err: '',
    })
    const json = await runCli([...args, '--json'])
    expect(JSON.parse(json.out)).toEqual({
      stateDir: state,
      dataRoot: path.join(dir, 'apps'),
      registries: [],
      apps: [],
      unwanted: [],
      podmanError: null,
    })
    expect(await readdir(dir)).toEqual([])
  })

  it('leaves an existing directory without a store as it is', async () => {
    const run = await runCli(['agent', 'status', '--state', dir])
    expect(run.code).toBe(0)
    expect(run.out).toBe(`no agent state in ${dir}: no registries followed, no apps installed`)
    expect(await readdir(dir)).toEqual([])
  })
})

describe('parseDefaultRouteInterface', () => {
  it('finds the interface of the default route', () => {
    const table = [
      'Iface\tDestination\tGateway',
      'eth1\t0000A8C0\t00000000',
      'eth0\t00000000\t0102A8C0',
    ].join('\n')
    expect(parseDefaultRouteInterface(table)).toBe('eth0')
    expect(parseDefaultRouteInterface('Iface\tDestination\n')).toBeUndefined()
  })
})
