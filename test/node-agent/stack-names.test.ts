// The stack-name check (node-agent/stack-names.ts): which networks need Podman's DNS, the
// repair by `podman network reload` while names do not resolve, the error once repairs are spent,
// and when a reconcile pass checks (after a start, or while the last check failed; never idle).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openAgent, type Agent } from '../../node-agent/agent-context.js'
import type { Exec, ExecExpectation } from '../../node-agent/exec.js'
import type { InstalledApp } from '../../node-agent/installed-app.js'
import { runReconcilePass } from '../../node-agent/reconcile-pass.js'
import {
  ensureStackNames,
  isStackNamesError,
  listNetworkNames,
} from '../../node-agent/stack-names.js'
import { ArchyError, ExecError } from '../../src/errors.js'
import { seedRunningInstalls } from '../support/seed-installs.js'
import { nameCheck, openStubAgent, useAgentTestBed } from './agent-test-registry.js'

interface MemberShape {
  id: string
  network: string
  aliases?: string[]
  container?: string
}

/** Just what the check reads of an installed app: members' names, networks and aliases. */
function appOf(members: MemberShape[]): InstalledApp {
  return {
    members: members.map((member) => ({
      manifest: { id: member.id },
      spec: { name: member.id, network: member.network, aliases: member.aliases ?? [] },
    })),
    records: members
      .filter((member) => member.container !== undefined)
      .map((member) => ({ appId: member.id, containerName: member.container })),
  } as unknown as InstalledApp
}

describe('listNetworkNames', () => {
  it.each<[string, MemberShape[], { network: string; containers: string[]; names: string[] }[]]>([
    ['a lone app without aliases', [{ id: 'hello', network: 'archy-net' }], []],
    [
      'a lone app with an alias',
      [{ id: 'api', network: 'notes-net', aliases: ['svc'] }],
      [{ network: 'notes-net', containers: ['api'], names: ['api', 'svc'] }],
    ],
    [
      'two members on one network',
      [
        { id: 'notes-api', network: 'notes-net', aliases: ['api'] },
        { id: 'notes-web', network: 'notes-net' },
      ],
      [
        {
          network: 'notes-net',
          containers: ['notes-api', 'notes-web'],
          names: ['notes-api', 'api', 'notes-web'],
        },
      ],
    ],
    [
      'members each alone on its own network',
      [
        { id: 'a', network: 'a-net' },
        { id: 'b', network: 'b-net' },
      ],
      [],
    ],
    [
      'an adopted member under its legacy name',
      [
        { id: 'db', network: 'n', container: 'old_db' },
        { id: 'web', network: 'n' },
      ],
      [{ network: 'n', containers: ['old_db', 'web'], names: ['old_db', 'web'] }],
    ],
  ])('for %s', (_name, members, expected) => {
    expect(listNetworkNames(appOf(members))).toEqual(expected)
  })
})

describe('ensureStackNames', () => {
  const bed = useAgentTestBed('archy-names-')
  const notes = appOf([
    { id: 'notes-api', network: 'notes-net', aliases: ['api'] },
    { id: 'notes-web', network: 'notes-net' },
  ])
  const names = ['notes-api', 'api', 'notes-web']
  const none = { 'notes-api': false, api: false, 'notes-web': false }
  const reload: ExecExpectation = {
    command: 'podman',
    args: ['network', 'reload', 'notes-api', 'notes-web'],
  }

  it('asks the gateway for every name, and does nothing more when they resolve', async () => {
    const agent = await openStubAgent(bed.dir, nameCheck('notes-net', names))
    try {
      expect(await ensureStackNames(agent, notes)).toBe(0)
      agent.stub.assertAllUsed()
    } finally {
      await agent.close()
    }
  })

  it("removes dead networks' DNS files on its gateway and reloads while names fail", async () => {
    const dnsConfigDir = join(bed.dir, 'aardvark-dns')
    mkdirSync(dnsConfigDir)
    const files = {
      'aardvark.pid': '4242',
      'notes-net': '10.89.0.1\nabc 10.89.0.2  notes-api,api\n',
      'old-net': '10.89.0.1\ndef 10.89.0.9  old-web\n',
      'far-net': '10.89.7.1\nfed 10.89.7.2  far-web\n',
    }
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dnsConfigDir, file), text)
    const [inspect, lookup] = nameCheck('notes-net', names)
    const failing = { ...lookup!, result: { stdout: JSON.stringify(none) }, times: 2 }
    // The first matching expectation with calls left answers: two failures, then the names.
    const agent = await openStubAgent(bed.dir, [
      inspect!,
      failing,
      lookup!,
      { ...reload, times: 2 },
      {
        command: 'podman',
        args: ['network', 'ls', '--format', '{{.Name}}'],
        result: { stdout: 'podman\nnotes-net\n' },
      },
    ])
    try {
      expect(await ensureStackNames(agent, notes, { firstWaitMs: 1, dnsConfigDir })).toBe(2)
      agent.stub.assertAllUsed()
      // Only the dead network that claimed this gateway is gone.
      expect(readdirSync(dnsConfigDir).sort()).toEqual(['aardvark.pid', 'far-net', 'notes-net'])
      expect(existsSync(join(dnsConfigDir, 'old-net'))).toBe(false)
    } finally {
      await agent.close()
    }
  })

  it('fails naming the network and the missing names once every reload is spent', async () => {
    const [inspect, lookup] = nameCheck('notes-net', names)
    const partly = { 'notes-api': true, api: false, 'notes-web': false }
    const failing = { ...lookup!, result: { stdout: JSON.stringify(partly) }, times: 5 }
    const agent = await openStubAgent(bed.dir, [inspect!, failing, { ...reload, times: 4 }])
    try {
      const options = { firstWaitMs: 1, dnsConfigDir: join(bed.dir, 'none') }
      const error = await ensureStackNames(agent, notes, options).catch((e) => e)
      expect(error).toBeInstanceOf(ArchyError)
      expect((error as ArchyError).code).toBe('stack-names')
      expect((error as Error).message).toMatch(
        new RegExp(
          "^network notes-net: Podman's DNS \\(aardvark-dns at 10\\.89\\.0\\.1\\) does not " +
            'answer api, notes-web after 4 podman network reloads',
        ),
      )
      expect(isStackNamesError((error as Error).message)).toBe(true)
      agent.stub.assertAllUsed()
    } finally {
      await agent.close()
    }
  })

  it('turns a check Podman could not run into the same error, for the next pass', async () => {
    const [inspect, lookup] = nameCheck('notes-net', names)
    const broken = { ...lookup!, result: { exitCode: 125, stderr: 'no rootless netns' } }
    const agent = await openStubAgent(bed.dir, [inspect!, broken])
    try {
      const error = (await ensureStackNames(agent, notes).catch((e) => e)) as ArchyError
      expect(error.code).toBe('stack-names')
      expect(error.message).toMatch(/^network notes-net: Podman's DNS could not be checked: .*125/)
      expect(isStackNamesError(error.message)).toBe(true)
    } finally {
      await agent.close()
    }
  })

  it('asks nothing of a network without DNS', async () => {
    const inspect = { subnets: [{ gateway: '10.88.0.1' }], dns_enabled: false }
    const agent = await openStubAgent(bed.dir, [
      {
        command: 'podman',
        args: ['network', 'inspect', 'notes-net'],
        result: { stdout: JSON.stringify([inspect]) },
      },
    ])
    try {
      expect(await ensureStackNames(agent, notes)).toBe(0)
      agent.stub.assertAllUsed()
    } finally {
      await agent.close()
    }
  })
})

describe('a reconcile pass and the stack-name check', () => {
  let agent: Agent | undefined
  afterEach(async () => {
    await agent?.close()
    agent = undefined
  })

  /** An agent whose Podman answers ps with `rows`, and the check's calls with `resolves`. */
  async function openNamesAgent(resolves: () => boolean): Promise<string[]> {
    const calls: string[] = []
    let rows: unknown[] = []
    const exec: Exec = async (command, args) => {
      const line = args.join(' ')
      calls.push(line.startsWith('unshare') ? 'names' : line)
      const answer = (value: unknown) => ({
        stdout: JSON.stringify(value),
        stderr: '',
        exitCode: 0,
        durationMs: 0,
      })
      if (line === 'ps -a --format json') return answer(rows)
      if (line === 'info --format json') {
        return answer({ host: { security: { rootless: true }, cgroupVersion: 'v2' } })
      }
      if (line === 'network inspect archy-net') {
        return answer([{ subnets: [{ gateway: '10.89.0.1' }], dns_enabled: true }])
      }
      if (line.startsWith('unshare --rootless-netns')) {
        return answer({ 'seeded-app-00': resolves(), svc: resolves() })
      }
      throw new ExecError('exec-failed', command, `unexpected ${line}`)
    }
    const dir = mkdtempSync(join(tmpdir(), 'archy-names-pass-'))
    agent = await openAgent({
      state: join(dir, 'state'),
      dataRoot: join(dir, 'apps'),
      hostIp: '127.0.0.1',
      exec,
    })
    rows = await seedRunningInstalls(agent, 1, { network_aliases: ['svc'] })
    calls.splice(0)
    return calls
  }

  it('makes no check when the app runs and its last check held', async () => {
    const calls = await openNamesAgent(() => true)
    expect(await runReconcilePass(agent!)).toMatchObject({ steps: [], errors: [] })
    expect(calls).toEqual(['ps -a --format json'])
  })

  it('checks at every pass after a failed check, and clears the error once it holds', async () => {
    const calls = await openNamesAgent(() => true)
    const failed =
      "network archy-net: Podman's DNS (aardvark-dns at 10.89.0.1) does not answer svc after " +
      '4 podman network reloads, so the members cannot reach each other by name'
    agent!.store.setOutcome('seeded-app-00', { warnings: [], lastError: failed })

    expect(await runReconcilePass(agent!)).toMatchObject({ steps: [], errors: [] })
    expect(calls).toEqual(['ps -a --format json', 'network inspect archy-net', 'names'])
    expect(agent!.store.getInstall('seeded-app-00')?.lastError).toBeNull()
    calls.length = 0
    await runReconcilePass(agent!)
    expect(calls).toEqual(['ps -a --format json'])
  })
})
