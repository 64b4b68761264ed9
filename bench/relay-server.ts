// The relay under benchmark, in its own process: a registry node's relay (its default write
// policy and limits) and release indexer on a data directory, with rate limits off. Reports its
// port, then answers status requests (IPC).
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { pino } from 'pino'
import {
  acceptOnlyAppDataNamespaces,
  acceptOnlyKinds,
  createRelay,
  REGISTRY_APP_DATA_NAMESPACES,
  REGISTRY_KINDS,
} from '../relay/index.js'
import type { RelayLimits } from '../relay/index.js'
import { startIndexer } from '../registry/indexer.js'
import { openRegistryStore } from '../registry/store.js'
import { readThreadCpu } from './thread-cpu.js'
import type { ThreadCpu } from './thread-cpu.js'

export interface ServerStatus {
  /** Stored events the indexer has judged. */
  indexed: number
  accepted: number
  rss: number
  maxRss: number
  cpu: ThreadCpu
}

const [mode, dataDir] = process.argv.slice(2) as ['ingest' | 'query', string]
const logger = pino({ level: 'silent' })
// Rate limits would throttle 50 connections from one address; the benchmark measures capacity.
const unlimited: Record<string, number> = { ipMessagesPerSecond: 0, keyEventsPerSecond: 0 }
const relay = createRelay({
  databasePath: join(dataDir, 'relay.sqlite'),
  info: { name: 'bench', description: 'relay benchmark', software: 'archy', version: '0' },
  limits: unlimited as Partial<RelayLimits>,
  // A registry node's default write policy (registry/node.ts), checked on every event.
  policies: [
    acceptOnlyKinds(REGISTRY_KINDS),
    acceptOnlyAppDataNamespaces(REGISTRY_APP_DATA_NAMESPACES),
  ],
  logger,
  verifyWorkers: process.env.BENCH_VERIFY_WORKERS
    ? Number(process.env.BENCH_VERIFY_WORKERS)
    : undefined,
  // BENCH_STORE_THREAD=0 commits on the main thread, as the relay did before its writer thread.
  storeThread: process.env.BENCH_STORE_THREAD !== '0',
})

// The indexer's listener runs first, so `indexed` counts events it has finished with.
let indexed = 0
let accepted = 0
if (mode === 'ingest') {
  const store = openRegistryStore(join(dataDir, 'registry.sqlite'))
  startIndexer({ relay, store, logger, onRelease: () => (accepted += 1) })
  relay.onStored(() => (indexed += 1))
}

const server = createServer((_request, response) => response.writeHead(404).end())
server.on('upgrade', (request, socket, head) => relay.handleUpgrade(request, socket, head))
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port })
})

process.on('message', () => {
  const status: ServerStatus = {
    indexed,
    accepted,
    rss: process.memoryUsage().rss,
    maxRss: process.resourceUsage().maxRSS * 1024,
    cpu: readThreadCpu(),
  }
  process.send?.(status)
})
process.on('disconnect', () => process.exit(0))
