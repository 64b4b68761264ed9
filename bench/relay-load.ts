// The load generator, in its own process: publishes pre-signed events over many connections with
// a bounded number in flight each, or repeats the catalog REQ; reports latencies over IPC.
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { WebSocket } from 'ws'
import type { NostrEvent } from 'nostr-tools/pure'
import { readThreadCpu } from './thread-cpu.js'

export interface PublishReport {
  events: number
  seconds: number
  accepted: number
  refusals: string[]
  latenciesMs: number[]
  /** CPU microseconds this process spent from the first EVENT sent to the last OK read. */
  cpuUs: number
}

export interface QueryReport {
  rounds: number
  eventsPerAnswer: number
  latenciesMs: number[]
}

export const CATALOG_FILTER = { kinds: [30078], '#t': ['archipelago-marketplace'], limit: 100 }

const [mode, url, arg1, arg2] = process.argv.slice(2) as [string, string, string, string]

function open(address: string): Promise<WebSocket> {
  const socket = new WebSocket(address)
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket))
    socket.once('error', reject)
  })
}

/** One line per connection, each a JSON array of events; `inFlight` unanswered per connection. */
async function publish(path: string, inFlight: number): Promise<PublishReport> {
  const batches = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as NostrEvent[]).map((e) => JSON.stringify(['EVENT', e])))
  const sockets = await Promise.all(batches.map(() => open(url)))
  const latenciesMs: number[] = []
  const refusals: string[] = []
  let accepted = 0

  const started = performance.now()
  const cpuBefore = readThreadCpu()
  await Promise.all(
    sockets.map((socket, index) => {
      const messages = batches[index] as string[]
      const sentAt: number[] = []
      let sent = 0
      let answered = 0
      const sendNext = (): void => {
        if (sent >= messages.length) return
        sentAt.push(performance.now())
        socket.send(messages[sent++] as string)
      }
      return new Promise<void>((resolve) => {
        // OKs come back in the order of the EVENTs on one connection (relay/connection.ts).
        socket.on('message', (data) => {
          const message = JSON.parse(String(data)) as unknown[]
          if (message[0] !== 'OK') return
          latenciesMs.push(performance.now() - (sentAt[answered] as number))
          answered += 1
          if (message[2] === true) accepted += 1
          else if (refusals.length < 5) refusals.push(String(message[3]))
          sendNext()
          if (answered === messages.length) resolve()
        })
        for (let i = 0; i < inFlight; i += 1) sendNext()
      })
    }),
  )
  const seconds = (performance.now() - started) / 1000
  const cpuAfter = readThreadCpu()
  const cpuUs = cpuAfter.mainUs + cpuAfter.otherUs - cpuBefore.mainUs - cpuBefore.otherUs
  sockets.forEach((socket) => socket.close())
  return { events: latenciesMs.length, seconds, accepted, refusals, latenciesMs, cpuUs }
}

/** `rounds` catalog REQs one after another, each timed from send to EOSE. */
async function query(rounds: number): Promise<QueryReport> {
  const socket = await open(url)
  const latenciesMs: number[] = []
  let eventsPerAnswer = 0
  for (let round = 0; round < rounds; round += 1) {
    const id = `q${round}`
    let events = 0
    const started = performance.now()
    await new Promise<void>((resolve) => {
      const onMessage = (data: Buffer): void => {
        const message = JSON.parse(String(data)) as unknown[]
        if (message[1] !== id) return
        if (message[0] === 'EVENT') events += 1
        if (message[0] !== 'EOSE' && message[0] !== 'CLOSED') return
        socket.off('message', onMessage)
        resolve()
      }
      socket.on('message', onMessage)
      socket.send(JSON.stringify(['REQ', id, CATALOG_FILTER]))
    })
    latenciesMs.push(performance.now() - started)
    socket.send(JSON.stringify(['CLOSE', id]))
    eventsPerAnswer = events
  }
  socket.close()
  return { rounds, eventsPerAnswer, latenciesMs }
}

const report = mode === 'publish' ? await publish(arg1, Number(arg2)) : await query(Number(arg1))
process.send?.(report, () => process.exit(0))
