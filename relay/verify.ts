// The one seam for event integrity: the NIP-01 id (SHA-256 of the serialized event) and the
// BIP-340 signature, checked off the main thread by a pool of workers (relay/verify-worker.ts).
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { Worker } from 'node:worker_threads'
import type { NostrEvent } from 'nostr-tools/pure'
import { VerificationError } from '../src/errors.js'
import { serializeEvent } from './event-json.js'
import { VERDICT, VERIFY_WORKER_SOURCE } from './verify-worker.js'
import type { VerifyReply, VerifyRequest } from './verify-worker.js'

/** native: bcrypto's libsecp256k1 binding; js: bcrypto's pure-JS BIP-340, when that is missing. */
export type SchnorrBackend = 'native' | 'js'

export interface EventVerifierOptions {
  /** Worker threads; default one fewer than the cores, at least one. */
  workers?: number
  /** Force a backend; default native when its build loads, otherwise js. */
  backend?: SchnorrBackend
}

export interface EventVerifier {
  readonly backend: SchnorrBackend
  /** Resolves when the id and the signature are right; rejects with VerificationError if not. */
  verify(event: NostrEvent): Promise<void>
  /** Ends the workers; pending checks reject. */
  close(): Promise<void>
}

interface Pending {
  resolve(): void
  reject(error: Error): void
}

interface PoolWorker {
  worker: Worker
  inFlight: Map<number, Pending[]>
  /**
   * Settles once the worker has loaded its BIP-340 module (or failed to start): terminating it
   * while the native addon loads makes bcrypto's init assert, which aborts the whole process.
   */
  started: Promise<void>
}

// Events that arrive in one turn of the event loop travel to a worker as one message.
const MAX_BATCH = 256
// Worker deaths in a row, with no answer between them, before the pool gives up.
const MAX_FAILURES = 5
// How long close() waits for a booting worker to run before terminating it anyway.
const START_WAIT_MS = 5_000
const require = createRequire(import.meta.url)
const MODULES: Record<SchnorrBackend, string> = {
  native: 'bcrypto/lib/native/schnorr',
  js: 'bcrypto/lib/js/schnorr',
}

/** Starts the worker pool. */
export function startEventVerifier(options: EventVerifierOptions = {}): EventVerifier {
  const backend = options.backend ?? detectBackend()
  const size = options.workers ?? Math.max(1, availableParallelism() - 1)
  const workerData = { schnorrPath: require.resolve(MODULES[backend]) }
  const pool: PoolWorker[] = []
  for (let i = 0; i < size; i += 1) pool.push(spawn())
  let queued: Array<{ json: string; pending: Pending }> = []
  let nextBatch = 0
  let failures = 0
  let broken: Error | undefined
  let closed = false

  function spawn(): PoolWorker {
    const worker = new Worker(VERIFY_WORKER_SOURCE, { eval: true, workerData })
    const started = new Promise<void>((resolve) => {
      worker.on('message', (message: { ready?: boolean }) => message.ready && resolve())
      for (const event of ['error', 'exit']) worker.once(event, () => resolve())
    })
    const entry: PoolWorker = { worker, inFlight: new Map(), started }
    worker.unref()
    worker.on('message', (reply: VerifyReply | { ready: true }) => settle(entry, reply))
    worker.on('error', (error: Error) => replace(entry, error))
    worker.on('exit', (code: number) => replace(entry, new Error(`worker exited (${code})`)))
    return entry
  }

  function settle(entry: PoolWorker, reply: VerifyReply | { ready: true }): void {
    if ('ready' in reply) return
    const batch = entry.inFlight.get(reply.batch)
    if (!batch) return
    entry.inFlight.delete(reply.batch)
    failures = 0
    batch.forEach((pending, index) => {
      const verdict = reply.verdicts[index]
      if (verdict === VERDICT.valid) return pending.resolve()
      if (verdict === VERDICT.unreadable) return pending.reject(new Error('unreadable event JSON'))
      pending.reject(new VerificationError(describeVerdict(verdict)))
    })
  }

  // A worker that died fails its batches (the relay answers `error:`) and is replaced, unless
  // workers keep dying without answering anything: then checks fail until a restart.
  function replace(entry: PoolWorker, cause: Error): void {
    const index = pool.indexOf(entry)
    if (index === -1) return
    for (const batch of entry.inFlight.values()) batch.forEach((p) => p.reject(cause))
    entry.inFlight.clear()
    failures += 1
    if (failures >= MAX_FAILURES) broken = new Error('the verify workers keep failing', { cause })
    if (closed || broken) pool.splice(index, 1)
    else pool[index] = spawn()
  }

  function verify(event: NostrEvent): Promise<void> {
    if (closed) return Promise.reject(new Error('the verifier is closed'))
    if (broken) return Promise.reject(broken)
    return new Promise((resolve, reject) => {
      if (queued.length === 0) setImmediate(flush)
      queued.push({ json: serializeEvent(event), pending: { resolve, reject } })
      if (queued.length >= MAX_BATCH) flush()
    })
  }

  // To the least busy worker, each event as its JSON (a string is copied, not walked).
  function flush(): void {
    const items = queued
    queued = []
    if (items.length === 0) return
    if (pool.length === 0) {
      const cause = broken ?? new Error('the verifier is closed')
      return items.forEach((item) => item.pending.reject(cause))
    }
    const target = pool.reduce((a, b) => (b.inFlight.size < a.inFlight.size ? b : a))
    const batch = nextBatch++
    target.inFlight.set(
      batch,
      items.map((item) => item.pending),
    )
    const request: VerifyRequest = { batch, events: items.map((item) => item.json) }
    target.worker.postMessage(request)
  }

  async function close(): Promise<void> {
    closed = true
    const closing = new Error('the verifier is closed')
    for (const { pending } of queued) pending.reject(closing)
    queued = []
    // A start-up that fails at once closes workers still booting: each ends once it has loaded.
    const ended = pool.map(async (entry) => {
      // Held until it is ended: an unref'd worker would let the process exit mid-close.
      entry.worker.ref()
      await Promise.race([entry.started, sleep(START_WAIT_MS, undefined, { ref: false })])
      await entry.worker.terminate()
    })
    await Promise.all(ended)
  }

  return { backend, verify, close }
}

/** native when bcrypto's compiled binding loads here, js otherwise. */
export function detectBackend(): SchnorrBackend {
  try {
    require(MODULES.native)
    return 'native'
  } catch {
    return 'js'
  }
}

function describeVerdict(verdict: number | undefined): string {
  if (verdict === VERDICT.badId) return 'event id does not match the hash of its content'
  return 'signature does not verify for this pubkey'
}
