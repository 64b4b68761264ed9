// The store's writer thread (relay/store-writer.ts), from the built relay since a worker thread
// cannot load the TypeScript sources: the same events give the same outcomes and the same stored
// rows as committing on the calling thread; group commit (what arrives together is one batch,
// each save acknowledged after its batch commits); batches past the limit; a thread that dies;
// close.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { NostrEvent } from 'nostr-tools/pure'
import { openEventStore } from '../../relay/event-store.js'
import type { SaveOutcome } from '../../relay/event-store.js'
import { parseFilters } from '../../relay/filters.js'
import type * as StoreWriterModule from '../../relay/store-writer.js'
import { makeFastSigner } from '../support/fast-sign.js'
import { builtRelayModule, generateSecretKey, makeTempDir, signEvent } from './harness.js'

let built: typeof StoreWriterModule
beforeAll(async () => {
  built = (await import(builtRelayModule('store-writer.js'))) as typeof StoreWriterModule
})

// Writers and stores first, then their directories, whether or not the test passed.
const cleanups: Array<() => void | Promise<void>> = []
const temps: Array<() => void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  temps.splice(0).forEach((remove) => remove())
})

function tempDatabase(): string {
  const temp = makeTempDir()
  temps.push(temp.remove)
  return join(temp.dir, 'relay.sqlite')
}

/** Opens a store at a new path (creating its schema first, as the relay does) and a writer. */
function openWriter(inline: boolean): {
  path: string
  writer: StoreWriterModule.StoreWriter
  store: ReturnType<typeof openEventStore>
} {
  const path = tempDatabase()
  const store = openEventStore(path)
  const thread = built.findStoreThread()
  if (thread === null) throw new Error('the built relay has no store-thread.js')
  const writer = inline ? built.startInlineWriter(store) : built.startStoreWriter(path, thread)
  cleanups.push(
    () => store.close(),
    () => writer.close(),
  )
  return { path, writer, store }
}

const alice = generateSecretKey()
const bob = generateSecretKey()
const release = (version: string, createdAt: number): NostrEvent =>
  signEvent(alice, {
    kind: 30078,
    created_at: createdAt,
    tags: [
      ['d', 'archipelago-app:notes'],
      ['t', 'archipelago-marketplace'],
      ['version', version],
    ],
  })

// Every outcome the store knows, in an order where each depends on the ones before.
function eventSequence(): NostrEvent[] {
  const note = signEvent(alice, { content: 'hello', created_at: 1_700_000_100 })
  const doomed = signEvent(alice, { content: 'delete me', created_at: 1_700_000_101 })
  const newer = signEvent(alice, { kind: 30000, tags: [['d', 'x']], created_at: 1_700_000_300 })
  const older = signEvent(alice, { kind: 30000, tags: [['d', 'x']], created_at: 1_700_000_200 })
  const deletion = signEvent(alice, {
    kind: 5,
    tags: [['e', doomed.id]],
    created_at: 1_700_000_400,
  })
  const foreignDeletion = signEvent(bob, {
    kind: 5,
    tags: [['e', note.id]],
    created_at: 1_700_000_401,
  })
  return [
    note,
    note,
    doomed,
    newer,
    older,
    deletion,
    doomed,
    foreignDeletion,
    release('1.2.0', 1_700_000_500),
    release('1.1.0', 1_700_000_600),
    release('not semver', 1_700_000_700),
    release('1.3.0', 1_700_000_800),
  ]
}

async function saveAll(writer: StoreWriterModule.StoreWriter, events: NostrEvent[]) {
  const settled = await Promise.allSettled(events.map((event) => writer.save(event)))
  return settled.map((result) =>
    result.status === 'fulfilled' ? result.value : `rejected: ${String(result.reason)}`,
  )
}

describe('the store writer thread', () => {
  it('gives the outcomes and stored rows that committing on the main thread gives', async () => {
    const events = eventSequence()
    const inline = openWriter(true)
    const threaded = openWriter(false)
    const expected: SaveOutcome[] = [
      'stored',
      'duplicate',
      'stored',
      'stored',
      'outdated',
      'stored',
      'deleted',
      'stored',
      'stored',
      { refused: 'invalid: version 1.1.0 is not higher than 1.2.0, stored at this address' },
      { refused: 'invalid: version tag "not semver" is not a SemVer version' },
      'stored',
    ]
    // One at a time, so each sees the ones before in its own transaction or an earlier one.
    for (const [index, event] of events.entries()) {
      expect(await saveAll(threaded.writer, [event]), `event ${index}`).toEqual([expected[index]])
      expect(await saveAll(inline.writer, [event]), `event ${index}`).toEqual([expected[index]])
    }
    // Read on the main thread's own connection, as the relay's queries are.
    const everything = parseFilters([{}])
    expect(threaded.store.query(everything)).toEqual(inline.store.query(everything))
    expect(threaded.store.query(everything)).toHaveLength(5)
  })

  it('commits a burst of two batches and more, every event once', async () => {
    const { writer, store } = openWriter(false)
    const signer = makeFastSigner(alice)
    const burst = Array.from({ length: built.MAX_BATCH * 2 + 500 }, (_, index) =>
      signer.sign({ kind: 1, tags: [], content: `n${index}`, created_at: 1_700_000_000 + index }),
    )
    const outcomes = await saveAll(writer, [...burst, burst[0] as NostrEvent])
    expect(outcomes.slice(0, -1).every((outcome) => outcome === 'stored')).toBe(true)
    expect(outcomes.at(-1)).toBe('duplicate')
    const stored = store.query(parseFilters([{ limit: burst.length }]))
    expect(stored.map((event) => event.id)).toEqual(burst.map((event) => event.id).reverse())
  })

  it(
    'commits what arrives together in one batch, ' + 'and acknowledges none before its commit',
    async () => {
      // Holds each batch 150 ms, as a slow fsync would, and answers every save with where it went.
      const holding = fakeThread(
        "parentPort.on('message', (request) => request.type === 'close' ? parentPort.close() : " +
          'setTimeout(() => {',
        '  const committed = { batch: request.batch, size: request.events.length, at: Date.now() }',
        '  const refused = JSON.stringify(committed)',
        '  parentPort.postMessage({ batch: request.batch, ' +
          'results: request.events.map(() => ({ refused })) })',
        '}, 150))',
      )
      const writer = built.startStoreWriter(tempDatabase(), holding)
      cleanups.push(() => writer.close())
      const signer = makeFastSigner(alice)
      const events = Array.from({ length: 80 }, (_, index) =>
        signer.sign({ kind: 1, tags: [], content: `g${index}`, created_at: 1_700_000_000 + index }),
      )
      type Committed = { batch: number; size: number; at: number }
      const acks: Array<Promise<Committed & { ackedAt: number }>> = []
      const track = (event: NostrEvent): void => {
        const saved = writer.save(event).then((outcome) => {
          const committed = JSON.parse((outcome as { refused: string }).refused) as Committed
          return { ...committed, ackedAt: Date.now() }
        })
        acks.push(saved)
      }

      // Fifty in one turn, then thirty over several turns while the first batch commits.
      events.slice(0, 50).forEach(track)
      for (const event of events.slice(50)) {
        await new Promise((resolve) => setTimeout(resolve, 2))
        track(event)
      }
      const committed = await Promise.all(acks)
      expect(committed.map(({ batch, size }) => [batch, size])).toEqual([
        ...Array.from({ length: 50 }, () => [0, 50]),
        ...Array.from({ length: 30 }, () => [1, 30]),
      ])
      for (const { at, ackedAt } of committed) expect(ackedAt).toBeGreaterThanOrEqual(at)
    },
  )

  it('acknowledges a save only once another connection can read it', async () => {
    const { writer, store } = openWriter(false)
    const signer = makeFastSigner(bob)
    const events = Array.from({ length: 300 }, (_, index) =>
      signer.sign({ kind: 1, tags: [], content: `r${index}`, created_at: 1_700_000_000 + index }),
    )
    // Read, at each acknowledgement, on the main thread's connection: the commit must be done.
    const visible = await Promise.all(
      events.map((event) =>
        writer.save(event).then(() => store.query(parseFilters([{ ids: [event.id] }])).length),
      ),
    )
    expect(visible.every((count) => count === 1)).toBe(true)
  })

  it('answers every save before close resolves, and refuses saves after it', async () => {
    const { path, writer } = openWriter(false)
    const events = Array.from({ length: 50 }, (_, index) =>
      signEvent(bob, { content: `c${index}`, created_at: 1_700_000_000 + index }),
    )
    const saving = saveAll(writer, events)
    // After the first turn: the batch is on its way to the thread, and must still commit.
    await new Promise((resolve) => setImmediate(resolve))
    await writer.close()
    const outcomes = await saving
    expect(outcomes.every((outcome) => outcome === 'stored')).toBe(true)
    await expect(writer.save(events[0] as NostrEvent)).rejects.toThrow(/closed/)
    const reopened = openEventStore(path)
    expect(
      reopened.query(parseFilters([{ authors: [(events[0] as NostrEvent).pubkey] }])),
    ).toHaveLength(50)
    reopened.close()
  })

  it('fails the saves of a thread that dies, and gives up after five deaths in a row', async () => {
    // Dies holding a batch, as a thread would on a crash in the middle of a commit.
    const dying = fakeThread("parentPort.on('message', () => process.exit(3))")
    const logged: Array<{ level: string; fields: Record<string, unknown>; message: string }> = []
    const logger = {
      warn: (fields: Record<string, unknown>, message: string) =>
        logged.push({ level: 'warn', fields, message }),
      error: (fields: Record<string, unknown>, message: string) =>
        logged.push({ level: 'error', fields, message }),
    } as unknown as StoreWriterModule.StoreWriterOptions['logger']
    const writer = built.startStoreWriter(tempDatabase(), dying, { logger })
    cleanups.push(() => writer.close())
    const note = signEvent(alice, { content: 'lost' })
    const reasons: string[] = []
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const [outcome] = await saveAll(writer, [note])
      reasons.push(String(outcome))
    }
    const stopped = /thread stopped: it exited with code 3/
    expect(reasons.slice(0, 5).every((reason) => stopped.test(reason))).toBe(true)
    expect(reasons[5]).toMatch(/keeps failing/)
    // Each death logged with its count and the pause before the next thread, doubling.
    expect(logged.map(({ level, fields }) => [level, fields.failures, fields.retryInMs])).toEqual([
      ['warn', 1, 50],
      ['warn', 2, 100],
      ['warn', 3, 200],
      ['warn', 4, 400],
      ['error', 5, undefined],
    ])
    expect(logged[0]?.fields.refused).toBe(1)
    expect(String(logged[4]?.fields.err)).toMatch(/exited with code 3/)
    // Nothing left to wait for: the last thread has exited (it once waited out 5 s here).
    const closing = performance.now()
    await writer.close()
    expect(performance.now() - closing).toBeLessThan(2_000)
  })

  it('keeps the SQLite code of an error from the thread', async () => {
    // Fails every save as SQLite does when the disk is full, and one event alone as a constraint.
    const failing = fakeThread(
      "parentPort.on('message', (request) => parentPort.postMessage(request.events.length > 1",
      '  ? { batch: request.batch, ' +
        "failed: { message: 'database or disk is full', code: 'SQLITE_FULL' } }",
      '  : { batch: request.batch, ' +
        "results: [{ error: { message: 'constraint', code: 'SQLITE_CONSTRAINT' } }] }))",
    )
    const writer = built.startStoreWriter(tempDatabase(), failing)
    cleanups.push(() => writer.close())
    const one = signEvent(alice, { content: 'one' })
    const two = signEvent(alice, { content: 'two' })
    const both = await Promise.allSettled([writer.save(one), writer.save(two)])
    for (const result of both) {
      expect(result.status).toBe('rejected')
      const reason = (result as PromiseRejectedResult).reason as Error & { code?: string }
      expect([reason.message, reason.code]).toEqual(['database or disk is full', 'SQLITE_FULL'])
    }
    const alone = writer.save(one)
    await expect(alone).rejects.toThrow('constraint')
    await expect(alone).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT' })
    // The writer carries on after errors that are answers, not deaths.
    await expect(writer.save(two)).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT' })
  })

  it('refuses saves with the cause when its thread cannot open the database', async () => {
    const temp = makeTempDir()
    temps.push(temp.remove)
    // A directory where the database file should be: every thread fails as it opens.
    const thread = built.findStoreThread()
    if (thread === null) throw new Error('the built relay has no store-thread.js')
    const writer = built.startStoreWriter(temp.dir, thread)
    cleanups.push(() => writer.close())
    const reasons: string[] = []
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const [outcome] = await saveAll(writer, [signEvent(alice, { content: `n${attempt}` })])
      reasons.push(String(outcome))
    }
    expect(reasons.at(-1)).toMatch(/keeps failing/)
    const cannotOpen = /thread stopped: unable to open database file/
    expect(reasons.slice(0, -1).every((reason) => cannotOpen.test(reason))).toBe(true)
  })
})

describe('the inline store writer', () => {
  it('commits the saves of one turn in one transaction, acknowledging each after it', async () => {
    const path = tempDatabase()
    const store = openEventStore(path)
    const reader = openEventStore(path)
    cleanups.push(
      () => store.close(),
      () => reader.close(),
    )
    // The store as the writer sees it: each transaction counted, each ack checked against them.
    const transactions: number[] = []
    const counted = {
      ...store,
      saveBatch: (events: NostrEvent[]) => {
        const outcomes = store.saveBatch(events)
        transactions.push(events.length)
        return outcomes
      },
    }
    const writer = built.startInlineWriter(counted)
    const signer = makeFastSigner(alice)
    const events = Array.from({ length: 60 }, (_, index) =>
      signer.sign({ kind: 1, tags: [], content: `i${index}`, created_at: 1_700_000_000 + index }),
    )
    const acks = await Promise.all(
      events.map((event) =>
        writer.save(event).then((outcome) => ({
          outcome,
          committed: transactions.length,
          visible: reader.query(parseFilters([{ ids: [event.id] }])).length,
        })),
      ),
    )
    expect(transactions).toEqual([60])
    expect(acks.every((ack) => ack.outcome === 'stored')).toBe(true)
    expect(acks.every((ack) => ack.committed === 1 && ack.visible === 1)).toBe(true)
  })
})

/** A thread module of `lines` after `parentPort` is imported and ready has been posted. */
function fakeThread(...lines: string[]): URL {
  const temp = makeTempDir()
  temps.push(temp.remove)
  const path = join(temp.dir, 'thread.mjs')
  const head = [
    "import { parentPort } from 'node:worker_threads'",
    'parentPort.postMessage({ ready: true })',
  ]
  writeFileSync(path, [...head, ...lines].join('\n'))
  return pathToFileURL(path)
}
