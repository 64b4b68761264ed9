// The store's writer thread (relay/store-writer.ts starts it): its own connection to the
// relay's database, where each batch of events is saved in one transaction. The commit, its
// fsync and the WAL checkpoints then happen here, not on the thread that serves the sockets.
import { parentPort, workerData } from 'node:worker_threads'
import { openEventStore } from './event-store.js'
import { parseEventJson } from './event-json.js'
import type { WriterReply, WriterRequest, WrittenOutcome } from './store-writer.js'

const port = parentPort
if (port === null) throw new Error('relay/store-thread.js runs as a worker thread')
const store = openEventStore((workerData as { databasePath: string }).databasePath)

port.on('message', (request: WriterRequest) => {
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
})

// Open, and from here safe to terminate: better-sqlite3's addon has loaded.
port.postMessage({ ready: true })

function toWritten(result: ReturnType<typeof store.saveBatch>[number]): WrittenOutcome {
  return result instanceof Error ? { error: describe(result) } : result
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
