// Durable acknowledgement: a relay in a child process is killed with SIGKILL while clients are
// publishing; after a restart on the same database, every event that got OK true is there.
// The child runs the built relay (dist/), so this needs `npm run build` first (npm test does).
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { generateSecretKey } from 'nostr-tools/pure'
import type { NostrEvent } from 'nostr-tools/pure'
import { makeFastSigner } from '../support/fast-sign.js'
import { builtRelayModule, makeTempDir } from './harness.js'

const CLIENTS = 10
const EVENTS_PER_CLIENT = 400
const IN_FLIGHT = 50
const KILL_AFTER_OKS = 1000

// The relay with rate limits off, on port 0; it prints its port once listening.
const CHILD_SCRIPT = `
import { createServer } from 'node:http'
const { createRelay } = await import(process.env.RELAY_MODULE)
const { pino } = await import('pino')
const relay = createRelay({
  databasePath: process.env.DATABASE,
  info: { name: 'kill test', description: '', software: 'archy', version: '0' },
  limits: { ipMessagesPerSecond: 0, keyEventsPerSecond: 0 },
  logger: pino({ level: 'error' }, pino.destination(2)),
})
const server = createServer((request, response) => response.writeHead(404).end())
server.on('upgrade', (request, socket, head) => relay.handleUpgrade(request, socket, head))
server.listen(0, '127.0.0.1', () => console.log(server.address().port))
// Gone with the test: standard input closes when the test process ends, however it ends.
process.stdin.on('end', () => process.exit(1)).resume()
`

const children = new Set<ChildProcess>()
const temps: Array<() => void> = []
afterEach(() => {
  children.forEach((child) => child.kill('SIGKILL'))
  temps.splice(0).forEach((remove) => remove())
})

async function startChildRelay(database: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_SCRIPT], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: { ...process.env, RELAY_MODULE: builtRelayModule('index.js'), DATABASE: database },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  children.add(child)
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (data: Buffer) => resolve(data.toString().trim()))
    child.once('exit', (code) => reject(new Error(`relay child exited (${code})`)))
  })
  return { child, url: `ws://127.0.0.1:${port}/` }
}

/** Publishes `events` keeping IN_FLIGHT unanswered; resolves when the socket closes. */
function publishAll(url: string, events: NostrEvent[], acknowledged: Set<string>): Promise<void> {
  const socket = new WebSocket(url)
  let next = 0
  const sendNext = (): void => {
    const event = events[next++]
    if (event) socket.send(JSON.stringify(['EVENT', event]))
  }
  socket.on('open', () => {
    for (let i = 0; i < IN_FLIGHT; i += 1) sendNext()
  })
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as unknown[]
    if (message[0] !== 'OK') return
    if (message[2] === true) acknowledged.add(message[1] as string)
    sendNext()
    if (acknowledged.size >= events.length * CLIENTS) socket.close()
  })
  socket.on('error', () => {})
  return new Promise((resolve) => socket.on('close', () => resolve()))
}

/** The ids among `ids` that the relay at `url` holds, asked 500 at a time. */
async function storedIds(url: string, ids: string[]): Promise<Set<string>> {
  const socket = new WebSocket(url)
  await new Promise((resolve) => socket.once('open', resolve))
  const found = new Set<string>()
  for (let start = 0; start < ids.length; start += 500) {
    const chunk = ids.slice(start, start + 500)
    socket.send(JSON.stringify(['REQ', 'check', { ids: chunk, limit: chunk.length }]))
    await new Promise<void>((resolve) => {
      const onMessage = (data: Buffer): void => {
        const message = JSON.parse(String(data)) as [string, string, NostrEvent?]
        if (message[0] === 'EVENT' && message[2]) found.add(message[2].id)
        if (message[0] !== 'EOSE' && message[0] !== 'CLOSED') return
        socket.off('message', onMessage)
        resolve()
      }
      socket.on('message', onMessage)
    })
  }
  socket.close()
  return found
}

describe('durable acknowledgement', () => {
  it('keeps every event that got OK true when the relay is killed with SIGKILL', async () => {
    const temp = makeTempDir()
    temps.push(temp.remove)
    const database = join(temp.dir, 'relay.sqlite')
    const batches = Array.from({ length: CLIENTS }, (_, client) => {
      const signer = makeFastSigner(generateSecretKey())
      return Array.from({ length: EVENTS_PER_CLIENT }, (_, index) =>
        signer.sign({ kind: 1, created_at: 1_700_000_000 + index, tags: [], content: `${client}` }),
      )
    })

    const { child, url } = await startChildRelay(database)
    const acknowledged = new Set<string>()
    const publishing = Promise.all(batches.map((events) => publishAll(url, events, acknowledged)))
    const exited = new Promise((resolve) => child.once('exit', resolve))
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (acknowledged.size < KILL_AFTER_OKS) return
        clearInterval(timer)
        child.kill('SIGKILL')
        resolve()
      }, 1)
    })
    const acknowledgedAtKill = acknowledged.size
    await exited
    await publishing
    expect(acknowledged.size).toBeLessThan(CLIENTS * EVENTS_PER_CLIENT)

    const restarted = await startChildRelay(database)
    const found = await storedIds(restarted.url, [...acknowledged])
    expect(acknowledged.size).toBeGreaterThanOrEqual(acknowledgedAtKill)
    expect([...acknowledged].filter((id) => !found.has(id))).toEqual([])
  }, 60_000)
})
