// Test harness for the relay: a real node:http server on 127.0.0.1 port 0 routing upgrades and
// NIP-11 requests to a relay over a temp-dir SQLite file, plus raw and nostr-tools clients.
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { WebSocket } from 'ws'
import { pino } from 'pino'
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure'
import type { EventTemplate, NostrEvent } from 'nostr-tools/pure'
import { Relay as RelayClient, useWebSocketImplementation } from 'nostr-tools/relay'
import { useWebSocketImplementation as usePoolWebSocketImplementation } from 'nostr-tools/pool'
import type { Filter } from 'nostr-tools/filter'
import { createRelay, writeInfoResponse } from '../../relay/index.js'
import type { EventPolicy, Relay, RelayLimits, RelayOptions } from '../../relay/index.js'

useWebSocketImplementation(WebSocket)
usePoolWebSocketImplementation(WebSocket)

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

/**
 * The path of `file` of the built relay (dist/relay/), refused when missing or older than the
 * sources; npm test builds first. For what runs only compiled (the store's writer thread).
 */
export function builtRelayModule(file: string): string {
  const built = join(repoRoot, 'dist/relay', file)
  if (!existsSync(built)) throw new Error(`${built} is missing: run npm run build`)
  const sources = readdirSync(join(repoRoot, 'relay')).map((name) => join(repoRoot, 'relay', name))
  const newest = Math.max(...sources.map((path) => statSync(path).mtimeMs))
  if (statSync(join(repoRoot, 'dist/relay/relay.js')).mtimeMs < newest - 1000) {
    throw new Error(`${built} is older than relay/: run npm run build`)
  }
  return built
}

export interface RunningRelay {
  relay: Relay
  server: Server
  url: string
  httpUrl: string
  databasePath: string
  /** Closes the relay and the HTTP server; removes the database only if the harness chose it. */
  stop(): Promise<void>
}

/** A fresh temp directory, removed by the returned function. */
export function makeTempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'archy-relay-'))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Starts a relay behind a real HTTP server, on `databasePath` or a file in a new temp dir. */
export async function startRelay(
  options: {
    databasePath?: string
    limits?: Partial<RelayLimits>
    policies?: EventPolicy[]
    url?: string
    requireAuthForWrites?: boolean
    negentropy?: RelayOptions['negentropy']
    trustedProxies?: string[]
    /** Listen on this port (a restart on the same address); default any free one. */
    port?: number
  } = {},
): Promise<RunningRelay> {
  const temp = options.databasePath === undefined ? makeTempDir() : null
  const databasePath = options.databasePath ?? join(temp?.dir ?? '.', 'relay.sqlite')
  const relay = createRelay({
    databasePath,
    info: { name: 'test relay', description: 'relay under test', software: 'archy', version: '0' },
    limits: options.limits,
    policies: options.policies,
    url: options.url,
    requireAuthForWrites: options.requireAuthForWrites,
    negentropy: options.negentropy,
    trustedProxies: options.trustedProxies,
    logger: pino({ level: 'silent' }),
  })

  const server = createServer((request, response) => {
    if (relay.isInfoRequest(request)) return writeInfoResponse(relay, response)
    response.writeHead(404).end()
  })
  server.on('upgrade', (request, socket, head) => relay.handleUpgrade(request, socket, head))
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  async function stop(): Promise<void> {
    await relay.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    temp?.remove()
  }
  return {
    relay,
    server,
    url: `ws://127.0.0.1:${port}/`,
    httpUrl: `http://127.0.0.1:${port}/`,
    databasePath,
    stop,
  }
}

/** A signed event from `secretKey`, with defaults for the fields not given. */
export function signEvent(secretKey: Uint8Array, template: Partial<EventTemplate>): NostrEvent {
  return finalizeEvent(
    { kind: 1, tags: [], content: '', created_at: 1_700_000_000, ...template },
    secretKey,
  )
}

/** The seven NIP-01 fields only, as they arrive over the wire (no nostr-tools symbol). */
export function plain(event: NostrEvent): NostrEvent {
  return JSON.parse(JSON.stringify(event)) as NostrEvent
}

/** Two events at the same address and created_at, ordered so the first has the lower id. */
export function signTiedPair(
  secretKey: Uint8Array,
  template: Partial<EventTemplate>,
): [NostrEvent, NostrEvent] {
  const a = signEvent(secretKey, { ...template, content: 'first' })
  const b = signEvent(secretKey, { ...template, content: 'second' })
  return a.id < b.id ? [a, b] : [b, a]
}

export { generateSecretKey }

/** Connects a nostr-tools client to `url`. */
export function connectClient(url: string): Promise<RelayClient> {
  return RelayClient.connect(url)
}

/**
 * Runs `filters` as one subscription until EOSE and closes it. Fails if the relay sends an
 * event the filters do not match (nostr-tools would otherwise drop it silently) or a CLOSED.
 */
export function fetchEvents(client: RelayClient, filters: Filter[]): Promise<NostrEvent[]> {
  return new Promise((resolve, reject) => {
    const events: NostrEvent[] = []
    const subscription = client.subscribe(filters, {
      onevent: (event) => events.push(event),
      oninvalidevent: (event) => reject(new Error(`relay sent a non-matching event: ${event}`)),
      oneose: () => {
        resolve(events)
        subscription.close()
      },
      onclose: (reason) => reject(new Error(`subscription closed: ${reason}`)),
    })
  })
}

/** A raw WebSocket client that queues every message it receives as parsed JSON. */
export interface RawClient {
  socket: WebSocket
  send(data: string | Buffer, binary?: boolean): void
  /** The next message, or a rejection after `timeoutMs`. */
  next(timeoutMs?: number): Promise<unknown[]>
  /** Resolves with the close code when the relay closes the connection. */
  closed: Promise<number>
  /** The NIP-42 challenge the relay sent on connect; that AUTH message is not queued. */
  challenge: Promise<string>
}

export async function connectRaw(url: string): Promise<RawClient> {
  const socket = new WebSocket(url)
  const inbox: unknown[][] = []
  const waiters: Array<(message: unknown[]) => void> = []
  let receiveChallenge: (challenge: string) => void = () => {}
  const challenge = new Promise<string>((resolve) => (receiveChallenge = resolve))
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as unknown[]
    if (message[0] === 'AUTH' && typeof message[1] === 'string') return receiveChallenge(message[1])
    const waiter = waiters.shift()
    if (waiter) waiter(message)
    else inbox.push(message)
  })
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })

  return {
    socket,
    closed,
    challenge,
    send: (data, binary = false) => socket.send(data, { binary }),
    next(timeoutMs = 2000) {
      const queued = inbox.shift()
      if (queued) return Promise.resolve(queued)
      return new Promise((resolve, reject) => {
        const waiter = (message: unknown[]): void => {
          clearTimeout(timer)
          resolve(message)
        }
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1)
          reject(new Error('no message from the relay'))
        }, timeoutMs)
        waiters.push(waiter)
      })
    },
  }
}
