// The load generator, in its own process: publishes pre-signed, pre-framed events over many
// connections with a bounded number in flight each, or repeats the catalog REQ; reports
// latencies (and, for publishing, its own CPU time) over IPC.
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Socket } from 'node:net'
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

/**
 * One WebSocket text frame of `text`, masked as a client must (RFC 6455 §5.3), built before
 * timing starts so the load generator spends its time sending, not framing.
 */
function maskedFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8')
  const length = payload.length
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10
  const frame = Buffer.allocUnsafe(header + 4 + length)
  frame[0] = 0x81
  if (length < 126) frame[1] = 0x80 | length
  else if (length < 65_536) {
    frame[1] = 0x80 | 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 0x80 | 127
    frame.writeBigUInt64BE(BigInt(length), 2)
  }
  const mask = randomBytes(4)
  mask.copy(frame, header)
  for (let i = 0; i < length; i += 1) {
    frame[header + 4 + i] = (payload[i] as number) ^ (mask[i & 3] as number)
  }
  return frame
}

// ["OK","<64 hex id>",true,...]: the verdict's first letter sits at a fixed offset.
const VERDICT_AT = 73

/** One line per connection, each a JSON array of events; `inFlight` unanswered per connection. */
async function publish(path: string, inFlight: number): Promise<PublishReport> {
  const batches = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) =>
      (JSON.parse(line) as NostrEvent[]).map((e) => maskedFrame(`["EVENT",${JSON.stringify(e)}]`)),
    )
  const sockets = await Promise.all(batches.map(() => open(url)))
  const latenciesMs: number[] = []
  const refusals: string[] = []
  let accepted = 0

  const started = performance.now()
  const cpuBefore = readThreadCpu()
  await Promise.all(
    sockets.map((socket, index) => {
      const frames = batches[index] as Buffer[]
      // The frames go straight to the TCP socket under ws (whose receiver still reads the OKs and
      // answers pings), corked so that the EVENTs one read of OKs releases leave in one write.
      const tcp = (socket as unknown as { _socket: Socket })._socket
      const sentAt: number[] = []
      let sent = 0
      let answered = 0
      let corked = false
      const sendNext = (): void => {
        if (sent >= frames.length) return
        if (!corked) {
          corked = true
          tcp.cork()
          process.nextTick(() => {
            corked = false
            tcp.uncork()
          })
        }
        sentAt.push(performance.now())
        tcp.write(frames[sent++] as Buffer)
      }
      return new Promise<void>((resolve) => {
        // OKs come back in the order of the EVENTs on one connection (relay/connection.ts).
        socket.on('message', (data: Buffer) => {
          if (data[2] !== 0x4f || data[3] !== 0x4b) return
          latenciesMs.push(performance.now() - (sentAt[answered] as number))
          answered += 1
          if (data[VERDICT_AT] === 0x74) accepted += 1
          else if (refusals.length < 5) refusals.push(String(data))
          sendNext()
          if (answered === frames.length) resolve()
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

/** `rounds` REQs of `filters` (the catalog's) one after another, each timed to EOSE. */
async function query(rounds: number, filters: unknown[] = [CATALOG_FILTER]): Promise<QueryReport> {
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
      socket.send(JSON.stringify(['REQ', id, ...filters]))
    })
    latenciesMs.push(performance.now() - started)
    socket.send(JSON.stringify(['CLOSE', id]))
    eventsPerAnswer = events
  }
  socket.close()
  return { rounds, eventsPerAnswer, latenciesMs }
}

const filters = arg2 === undefined ? undefined : (JSON.parse(arg2) as unknown[])
const report =
  mode === 'publish' ? await publish(arg1, Number(arg2)) : await query(Number(arg1), filters)
process.send?.(report, () => process.exit(0))
