// Operator key rotation on a real node: `archy node rotate-key` signs a statement with both keys,
// the restarted node signs with the new key, serves the chain at /v1/rotations and in its catalog,
// and an agent that pinned the old key follows it; an interrupted rotation is finished, not lost.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { openAgentStore, type AgentStore } from '../../node-agent/agent-store.js'
import { addRegistry, readCurrentPin, refreshRegistry } from '../../node-agent/catalog-follower.js'
import { readKeyFile } from '../../src/identity/key-file.js'
import { signKeyRotation, type KeyRotation } from '../../src/release/key-rotation.js'
import { runCli } from '../support/cli.js'
import { makeDataDir, startTestNode, type TestNode } from './harness.js'

let data: ReturnType<typeof makeDataDir>
let agentDir: ReturnType<typeof makeDataDir>
let store: AgentStore
let node: TestNode | undefined

beforeEach(() => {
  data = makeDataDir()
  agentDir = makeDataDir()
  store = openAgentStore(join(agentDir.dir, 'agent.sqlite'))
})
afterEach(async () => {
  await node?.close()
  node = undefined
  store.close()
  data.remove()
  agentDir.remove()
})

async function rotateKey(): Promise<{ oldDid: string; newDid: string; sequence: number }> {
  const run = await runCli(['node', 'rotate-key', '--data', data.dir, '--json'])
  expect(run.err).toBe('')
  expect(run.code).toBe(0)
  return JSON.parse(run.out) as { oldDid: string; newDid: string; sequence: number }
}

async function follow(): Promise<string> {
  const record = store.getRegistry(node!.url)!
  await refreshRegistry(store, record)
  return readCurrentPin(store.getRegistry(node!.url)!).did
}

describe('archy node rotate-key', () => {
  it('rotates twice, and an agent that pinned the first key follows both', async () => {
    node = await startTestNode(data.dir, { port: 0 })
    const firstDid = node.did
    const added = await addRegistry(store, node.url)
    expect(added).toMatchObject({ did: firstDid, sequence: 1 })
    const { port } = new URL(node.url)
    await node.close()

    const first = await rotateKey()
    expect(first).toMatchObject({ oldDid: firstDid, sequence: 2 })
    node = await startTestNode(data.dir, { port: Number(port) })
    expect(node.did).toBe(first.newDid)

    const { body } = await node.getJson('/v1/rotations')
    const rotations = body.rotations as { old_did: string; new_did: string; proof: unknown[] }[]
    expect(rotations).toMatchObject([{ old_did: firstDid, new_did: first.newDid, sequence: 2 }])
    expect(rotations[0]!.proof).toHaveLength(2)
    const openapi = (await node.getJson('/v1/openapi.json')).body as { paths: object }
    expect(openapi.paths).toHaveProperty(['/v1/rotations'])
    const posted = await fetch(`${node.url}/v1/rotations`, { method: 'POST' })
    expect([posted.status, posted.headers.get('allow')]).toEqual([405, 'GET, HEAD'])
    const catalog = (await node.getJson('/v1/catalog')).body
    expect(catalog).toMatchObject({ sequence: 2, registry: { did: first.newDid }, rotations })
    expect(await follow()).toBe(first.newDid)

    await node.close()
    const second = await rotateKey()
    expect(second).toMatchObject({ oldDid: first.newDid, sequence: 3 })
    node = await startTestNode(data.dir, { port: Number(port) })
    expect(await follow()).toBe(second.newDid)
    expect(((await node.getJson('/v1/rotations')).body.rotations as unknown[]).length).toBe(2)
  })

  it('rotates twice before a restart with rising sequences, and the node and an agent follow', async () => {
    node = await startTestNode(data.dir, { port: 0 })
    const firstDid = node.did
    expect(await addRegistry(store, node.url)).toMatchObject({ did: firstDid, sequence: 1 })
    const { port } = new URL(node.url)
    await node.close()
    node = undefined

    const first = await rotateKey()
    const second = await rotateKey()
    expect(first).toMatchObject({ oldDid: firstDid, sequence: 2 })
    expect(second).toMatchObject({ oldDid: first.newDid, sequence: 3 })

    node = await startTestNode(data.dir, { port: Number(port) })
    expect(node.did).toBe(second.newDid)
    const catalog = (await node.getJson('/v1/catalog')).body
    expect(catalog).toMatchObject({ sequence: 3, registry: { did: second.newDid } })
    expect(await follow()).toBe(second.newDid)

    // Another rotation after that start rises above both the catalog and the last statement.
    await node.close()
    node = undefined
    expect(await rotateKey()).toMatchObject({ oldDid: second.newDid, sequence: 4 })
  })

  it('refuses while a node runs on the data directory, and rotates once it stopped', async () => {
    node = await startTestNode(data.dir)
    const run = await runCli(['node', 'rotate-key', '--data', data.dir])
    expect(run.code).toBe(1)
    expect(run.err).toBe(
      `archy: data: ${data.dir} is in use by process ${process.pid} (a running registry node ` +
        'or rotate-key); stop it before rotating the operator key, or remove ' +
        `${join(data.dir, 'node.lock')} if that process is gone`,
    )
    expect(existsSync(join(data.dir, 'rotations.json'))).toBe(false)
    expect(existsSync(join(data.dir, 'operator.keys.next.json'))).toBe(false)
    await expect(startTestNode(data.dir)).rejects.toThrow(/stop it before starting another node/)

    const did = node.did
    await node.close()
    node = undefined
    expect(existsSync(join(data.dir, 'node.lock'))).toBe(false)
    expect(await rotateKey()).toMatchObject({ oldDid: did, sequence: 2 })
  })

  it('takes over a lock left by a process that is gone', async () => {
    node = await startTestNode(data.dir)
    await node.close()
    node = undefined
    // Pid 2^22 + 1 is above Linux's pid_max limit, so no process has it.
    writeFileSync(join(data.dir, 'node.lock'), `${2 ** 22 + 1}\n`)
    expect(await rotateKey()).toMatchObject({ sequence: 2 })
    node = await startTestNode(data.dir)
    expect(existsSync(join(data.dir, 'node.lock'))).toBe(true)
  })

  it('takes over a lock naming its own pid that it does not hold (pid 1 in a container)', async () => {
    writeFileSync(join(data.dir, 'node.lock'), `${process.pid}\n`)
    node = await startTestNode(data.dir)
    expect(readFileSync(join(data.dir, 'node.lock'), 'utf8')).toBe(`${process.pid}\n`)
    await expect(startTestNode(data.dir)).rejects.toThrow(/stop it before starting another node/)
  })

  it('repairs a chain left with two equal sequences, so the node starts again', async () => {
    node = await startTestNode(data.dir)
    await node.close()
    node = undefined
    const first = await rotateKey()
    const second = await rotateKey()

    // What the earlier version wrote: the second statement re-signed with the first's sequence.
    const path = join(data.dir, 'rotations.json')
    const chain = JSON.parse(readFileSync(path, 'utf8')) as KeyRotation[]
    const retired = readdirSync(data.dir).filter((name) =>
      name.startsWith('operator.keys.retired-'),
    )
    const keys = await Promise.all(retired.map((name) => readKeyFile(join(data.dir, name))))
    const middle = keys.find((pair) => pair.ed25519.did === first.newDid)!
    const current = await readKeyFile(join(data.dir, 'operator.keys.json'))
    const { proof: _proof, ...body } = chain[1]!
    const equal = signKeyRotation({ ...body, sequence: 2 }, middle.ed25519, current.ed25519)
    writeFileSync(path, JSON.stringify([chain[0], equal]))
    await expect(startTestNode(data.dir)).rejects.toThrow(
      "rotations.json[1].sequence: must be higher than rotations.json[0]'s; run archy node " +
        'rotate-key to sign the last rotation again with a higher sequence',
    )

    expect(await rotateKey()).toEqual({ oldDid: first.newDid, newDid: second.newDid, sequence: 3 })
    node = await startTestNode(data.dir)
    expect(node.did).toBe(second.newDid)
    const catalog = (await node.getJson('/v1/catalog')).body
    expect(catalog).toMatchObject({ sequence: 3, rotations: [{ sequence: 2 }, { sequence: 3 }] })
  })

  it('finishes a rotation interrupted before the key files were swapped', async () => {
    node = await startTestNode(data.dir)
    await node.close()
    node = undefined
    const rotated = await rotateKey()

    // Undo the swap as a crash before it would have left things: old key in place, new one aside.
    const retired = readdirSync(data.dir).find((name) => name.startsWith('operator.keys.retired-'))
    renameSync(join(data.dir, 'operator.keys.json'), join(data.dir, 'operator.keys.next.json'))
    renameSync(join(data.dir, retired!), join(data.dir, 'operator.keys.json'))
    const refusal = await startTestNode(data.dir).catch((error: Error) => error)
    expect((refusal as Error).message).toMatch(
      /^rotations\.json: the rotations end at \S+, not at the operator key \S+; a key rotation/,
    )
    expect((refusal as Error).message).toMatch(
      /; a key rotation was interrupted: run archy node rotate-key to finish it$/,
    )

    const finished = await rotateKey()
    expect(finished).toMatchObject({ newDid: rotated.newDid, sequence: rotated.sequence })
    node = await startTestNode(data.dir)
    expect(node.did).toBe(rotated.newDid)
    expect(((await node.getJson('/v1/rotations')).body.rotations as unknown[]).length).toBe(1)
  })

  it('refuses a rotations file that does not end at the operator key', async () => {
    node = await startTestNode(data.dir)
    await node.close()
    node = undefined
    await rotateKey()
    const other = makeDataDir()
    try {
      const fresh = await startTestNode(other.dir)
      await fresh.close()
      renameSync(join(data.dir, 'rotations.json'), join(other.dir, 'rotations.json'))
      await expect(startTestNode(other.dir)).rejects.toThrow(
        /^rotations\.json: the rotations end at \S+, not at the operator key \S+$/,
      )
    } finally {
      other.remove()
    }
  })

  it('signs from the rotation sequence on when the registry database was lost', async () => {
    node = await startTestNode(data.dir)
    await node.close()
    node = undefined
    const rotated = await rotateKey()
    for (const suffix of ['', '-wal', '-shm']) {
      rmSync(join(data.dir, `registry.sqlite${suffix}`), { force: true })
    }
    node = await startTestNode(data.dir)
    const catalog = (await node.getJson('/v1/catalog')).body as { sequence: number }
    expect(catalog.sequence).toBe(rotated.sequence)
  })

  it('exits 1 naming the key file when the node never started there', async () => {
    const run = await runCli(['node', 'rotate-key', '--data', data.dir])
    expect(run.code).toBe(1)
    expect(run.err).toBe(
      `archy: data: ${join(data.dir, 'operator.keys.json')} does not exist; ` +
        'a node makes its operator key when it first starts',
    )
  })

  it('refuses a rotations file that is not JSON', async () => {
    writeFileSync(join(data.dir, 'rotations.json'), '{')
    await expect(startTestNode(data.dir)).rejects.toThrow(/^rotations\.json: not JSON$/)
  })
})
