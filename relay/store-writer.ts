// The relay's writes, committed on a thread of their own (relay/store-thread.ts) with its own
// connection to the database. Events submitted while a batch commits go together as the next
// batch, so one transaction and one fsync serve every event that arrived meanwhile (group
// commit), and an OK still waits for its own commit. Queries keep reading on the main thread's
// connection: in WAL mode a reader sees every committed batch and never waits for the writer.
import { existsSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { NostrEvent } from 'nostr-tools/pure'
import type { Logger } from 'pino'
import type { EventStore, SaveOutcome } from './event-store.js'
import { serializeEvent } from './event-json.js'
import { startGroupCommit } from './group-commit.js'

/** An Error as it crosses threads: its message and, from SQLite, its code (SQLITE_FULL). */
export interface ThreadError {
  message: string
  code?: string
}

/** A save's outcome as it crosses threads. */
export type WrittenOutcome = SaveOutcome | { error: ThreadError }

export type WriterRequest = { type: 'save'; batch: number; events: string[] } | { type: 'close' }

export type WriterReply =
  | { batch: number; results: WrittenOutcome[] }
  | { batch: number; failed: ThreadError }
  | { ready: true }
  | { openFailed: ThreadError }

export interface StoreWriterOptions {
  /** Where a thread's death and the writer giving up are logged. */
  logger?: Pick<Logger, 'error' | 'warn'>
}

export interface StoreWriter {
  /** Resolves once the transaction holding `event` has committed, with its outcome. */
  save(event: NostrEvent): Promise<SaveOutcome>
  /** Lets the batch being committed finish, fails the ones not sent yet, and ends the writer. */
  close(): Promise<void>
}

interface Thread {
  worker: Worker
  /** Settles once the thread has opened the database, or failed to start. */
  started: Promise<void>
  exited: Promise<void>
}

interface Waiting {
  json: string
  resolve(outcome: SaveOutcome): void
  reject(error: Error): void
}

// Most events in one transaction: a batch of 2,000 release events commits in about 0.2 s.
// Under bench:relay's burst (5,000 events in flight) batches reach it; a limit of 1,000 gave
// 10,270 events/s (one run), 5,000 no more than 2,000 (11,820 against 11,770, means of six and
// three runs, with the writer's 64 MiB cache).
export const MAX_BATCH = 2000
// Thread deaths in a row, with no batch committed between them, before the writer gives up.
const MAX_FAILURES = 5
// How long close() waits for a starting thread to load before terminating it anyway.
const START_WAIT_MS = 5_000
// The wait before replacing a dead thread, doubled for each death in a row: 50 ms to 400 ms.
const RESPAWN_DELAY_MS = 50

/** The compiled thread module beside this one; null when the relay runs from its sources. */
export function findStoreThread(): URL | null {
  const url = new URL('./store-thread.js', import.meta.url)
  return existsSync(fileURLToPath(url)) ? url : null
}

/**
 * The process's Node flags for the thread, without --input-type: a process started with
 * `--input-type=module -e` would pass it on, and Node then refuses to load the thread's file.
 */
function threadExecArgv(): string[] {
  const flags: string[] = []
  for (let index = 0; index < process.execArgv.length; index += 1) {
    const flag = process.execArgv[index] as string
    if (flag === '--input-type') index += 1
    else if (!flag.startsWith('--input-type=')) flags.push(flag)
  }
  return flags
}

/** Commits on the calling thread, batching what one turn of the event loop submits. */
export function startInlineWriter(store: EventStore): StoreWriter {
  const commit = startGroupCommit({
    commit: (events: NostrEvent[]) => store.saveBatch(events),
    maxBatch: MAX_BATCH,
  })
  return { save: (event) => commit.submit(event), close: async () => undefined }
}

/** Starts the writer thread from `module` (findStoreThread) on the database at `databasePath`. */
export function startStoreWriter(
  databasePath: string,
  module: URL,
  options: StoreWriterOptions = {},
): StoreWriter {
  let thread = spawn()
  let queued: Waiting[] = []
  let inFlight: { batch: number; items: Waiting[] } | null = null
  let nextBatch = 0
  let failures = 0
  // Set while a dead thread waits to be replaced: saves queue up meanwhile.
  let respawn: NodeJS.Timeout | undefined
  let broken: Error | undefined
  let closing: Promise<void> | undefined

  function spawn(): Thread {
    const worker = new Worker(module, { workerData: { databasePath }, execArgv: threadExecArgv() })
    const started = new Promise<void>((resolve) => {
      worker.on('message', (reply: WriterReply) => 'ready' in reply && resolve())
      for (const event of ['error', 'exit']) worker.once(event, () => resolve())
    })
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
    // Held only while a batch is out (send), so an idle writer never keeps the process alive.
    worker.unref()
    worker.on('message', (reply: WriterReply) =>
      'openFailed' in reply ? fail(worker, rebuildError(reply.openFailed)) : settle(reply),
    )
    // What a thread throws arrives as its enumerable fields, not always as an Error.
    worker.on('error', (error: unknown) => fail(worker, asError(error)))
    worker.on('exit', (code: number) => fail(worker, new Error(`it exited with code ${code}`)))
    return { worker, started, exited }
  }

  function save(event: NostrEvent): Promise<SaveOutcome> {
    if (closing) return Promise.reject(new Error('the store writer is closed'))
    if (broken) return Promise.reject(broken)
    return new Promise((resolve, reject) => {
      queued.push({ json: serializeEvent(event), resolve, reject })
      if (inFlight === null && queued.length === 1) setImmediate(send)
    })
  }

  // One batch at a time: what queues up while it commits goes next, in one transaction.
  function send(): void {
    if (inFlight !== null || queued.length === 0 || broken || respawn) return
    const items = queued.slice(0, MAX_BATCH)
    queued = queued.slice(MAX_BATCH)
    inFlight = { batch: nextBatch++, items }
    thread.worker.ref()
    const request: WriterRequest = {
      type: 'save',
      batch: inFlight.batch,
      events: items.map((item) => item.json),
    }
    thread.worker.postMessage(request)
  }

  function settle(reply: WriterReply): void {
    if (!('batch' in reply) || inFlight === null || reply.batch !== inFlight.batch) return
    const { items } = inFlight
    inFlight = null
    thread.worker.unref()
    if ('failed' in reply) {
      // The transaction failed as a whole (disk full, say): none of its events was stored.
      const cause = rebuildError(reply.failed)
      items.forEach((item) => item.reject(cause))
    } else {
      failures = 0
      items.forEach((item, index) => {
        const result = reply.results[index]
        if (result === undefined) item.reject(new Error('the store writer lost an outcome'))
        else if (typeof result === 'object' && 'error' in result)
          item.reject(rebuildError(result.error))
        else item.resolve(result)
      })
    }
    send()
  }

  // A thread that died fails the batch it held (its commit may or may not have happened: the
  // clients get `error:` and may send again, which is then a duplicate) and is replaced after a
  // pause, so one that cannot open the database is not restarted in a tight loop.
  function fail(worker: Worker, cause: Error): void {
    if (worker !== thread.worker || closing || respawn || broken) return
    const error = new Error(`the store writer thread stopped: ${cause.message}`, { cause })
    const lost = inFlight?.items.length ?? 0
    inFlight?.items.forEach((item) => item.reject(error))
    inFlight = null
    failures += 1
    if (failures >= MAX_FAILURES) {
      broken = new Error('the store writer thread keeps failing', { cause })
      options.logger?.error({ err: cause, failures }, 'relay store writer gave up: writes refused')
      for (const item of queued.splice(0)) item.reject(broken)
      return
    }
    const delayMs = RESPAWN_DELAY_MS * 2 ** (failures - 1)
    options.logger?.warn(
      { err: cause, failures, refused: lost, retryInMs: delayMs },
      'relay store writer thread stopped; starting another',
    )
    respawn = setTimeout(() => {
      respawn = undefined
      if (closing) return
      thread = spawn()
      send()
    }, delayMs)
  }

  function close(): Promise<void> {
    closing ??= (async () => {
      const closed = new Error('the store writer is closed')
      clearTimeout(respawn)
      respawn = undefined
      for (const item of queued.splice(0)) item.reject(closed)
      // After five deaths `thread` is the last one, already exited: nothing to wait for.
      const { worker, started, exited } = thread
      worker.ref()
      await Promise.race([started, sleep(START_WAIT_MS, undefined, { ref: false })])
      // Posted after the batch in flight, which therefore commits and is answered first.
      worker.postMessage({ type: 'close' } satisfies WriterRequest)
      await Promise.race([exited, sleep(START_WAIT_MS, undefined, { ref: false })])
      await worker.terminate()
      // Only if the thread died first: its batch has no answer to wait for.
      inFlight?.items.forEach((item) => item.reject(closed))
      inFlight = null
    })()
    return closing
  }

  return { save, close }
}

function asError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown
  const { message, code } = (thrown ?? {}) as { message?: unknown; code?: unknown }
  return rebuildError({
    message: typeof message === 'string' ? message : `it threw ${String(code ?? thrown)}`,
    ...(typeof code === 'string' ? { code } : {}),
  })
}

function rebuildError({ message, code }: ThreadError): Error {
  return code === undefined ? new Error(message) : Object.assign(new Error(message), { code })
}
