// The local API's wire: progress lines reach the client as they happen, the result ends the
// answer, and an operation's failure comes back as an error with its code and message.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { startAgentApi, type AgentApi } from '../../node-agent/agent-api.js'
import { askDaemon } from '../../node-agent/agent-client.js'
import type { DownloadProgress } from '../../node-agent/artifact-fetch.js'
import { ArchyError } from '../../src/errors.js'

let dir: string
let api: AgentApi | undefined

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'agent-api-'))
})
afterEach(async () => {
  await api?.close()
  api = undefined
  await rm(dir, { recursive: true, force: true })
})

describe('agent API', () => {
  it('streams download progress before the result', async () => {
    const socket = path.join(dir, 'agent.sock')
    api = await startAgentApi({
      socket,
      async run(operation, progress) {
        progress({ name: 'image.tar', received: 10, total: 100 })
        progress({ name: 'image.tar', received: 100, total: 100 })
        return { ran: operation.op }
      },
    })
    const seen: DownloadProgress[] = []
    const answer = await askDaemon(socket, { op: 'update' }, (update) => seen.push(update))
    expect(answer).toEqual({ answered: true, result: { ran: 'update' } })
    expect(seen).toEqual([
      { name: 'image.tar', received: 10, total: 100 },
      { name: 'image.tar', received: 100, total: 100 },
    ])
  })

  it("returns an operation's failure with its code", async () => {
    const socket = path.join(dir, 'agent.sock')
    api = await startAgentApi({
      socket,
      run: () =>
        Promise.reject(new ArchyError('not-installed', 'web is not installed on this node')),
    })
    const failure = await askDaemon(socket, { op: 'unpin', app: 'web' }).catch((e: Error) => e)
    expect(failure).toBeInstanceOf(ArchyError)
    expect(failure).toMatchObject({
      code: 'not-installed',
      message: 'web is not installed on this node',
    })
  })

  it('refuses to start over a file that is not a socket', async () => {
    const socket = path.join(dir, 'agent.sock')
    const { writeFile } = await import('node:fs/promises')
    await writeFile(socket, 'not a socket')
    await expect(startAgentApi({ socket, run: async () => null })).rejects.toThrow(
      `${socket} exists and is not a socket; remove it`,
    )
  })
})
