// The store's writer thread (relay/store-writer.ts starts it): its own connection to the
// relay's database, where each batch of events is saved in one transaction. The commit, its
// fsync and the WAL checkpoints then happen here, not on the thread that serves the sockets.
import { parentPort, workerData } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import { openEventStore } from './event-store.js'
import type { EventStore } from './event-store.js'
import { parseEventJson } from './event-json.js'
import type { ThreadError, WriterReply, WriterRequest, WrittenOutcome } from './store-writer.js'

// The writer's page cache: a burst's inserts land all over every index, and pages still cached
// from the last batch need no read. Measured on bench:relay, 64 MiB against SQLite's 16 MB
// default: 11,770 against 11,120 events/s (means of three runs), about 30 MiB more resident.
const CACHE_MIB = 64

if (parentPort === null) throw new Error('relay/store-thread.js runs as a worker thread')
const port: MessagePort = parentPort
const store = open((workerData as { databasePath: string }).databasePath)
if (store !== null) {
  port.on('message', (request: WriterRequest) => answer(store, request))
  // Open, and from here safe to terminate: better-sqlite3's addon has loaded.
  port.postMessage({ ready: true } satisfies WriterReply)
}

/** The store, or null once the failure is posted: the thread then ends with nothing to do. */
function open(databasePath: string): EventStore | null {
  try {
    return openEventStore(databasePath, { cacheMiB: CACHE_MIB })
  } catch (error) {
    // Thrown, it would reach the writer as its enumerable fields only: the code, no message.
    port.postMessage({ openFailed: describe(error) } satisfies WriterReply)
    port.close()
    return null
  }
}

function answer(store: EventStore, request: WriterRequest): void {
  if (request.type === 'close') {
    store.close()
    port.close()
    return
  }
  let reply: WriterReply
  try {
    const results = store.saveBatch(request.events.map(parseEventJson))
    reply = { batch: request.batch, results: results.map(toWritten) }
  } catch (error) {
    reply = { batch: request.batch, failed: describe(error) }
  }
  port.postMessage(reply)
}

function toWritten(result: ReturnType<EventStore['saveBatch']>[number]): WrittenOutcome {
  return result instanceof Error ? { error: describe(result) } : result
}

function describe(error: unknown): ThreadError {
  if (!(error instanceof Error)) return { message: String(error) }
  const { code } = error as { code?: unknown }
  return typeof code === 'string' ? { message: error.message, code } : { message: error.message }
}
