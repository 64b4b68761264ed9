// The store's page size: 16 KiB for a new store (relay/event-store.ts says why); a store made
// with SQLite's default 4 KiB pages keeps them, and its events.
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { openEventStore } from '../../relay/event-store.js'
import { parseFilters } from '../../relay/filters.js'
import { generateSecretKey, makeTempDir, signEvent } from './harness.js'

const temps: Array<() => void> = []
afterEach(() => temps.splice(0).forEach((remove) => remove()))

function tempPath(): string {
  const temp = makeTempDir()
  temps.push(temp.remove)
  return join(temp.dir, 'relay.sqlite')
}

function readPageSize(path: string): number {
  const db = new Database(path)
  const pageSize = db.pragma('page_size', { simple: true }) as number
  db.close()
  return pageSize
}

describe('the event store layout', () => {
  const author = generateSecretKey()
  const note = signEvent(author, { content: 'kept' })

  it('gives a new store 16 KiB pages', () => {
    const path = tempPath()
    const store = openEventStore(path)
    expect(store.save(note)).toBe('stored')
    store.close()
    expect(readPageSize(path)).toBe(16_384)
  })

  it('keeps the 4 KiB pages and the events of a store made before', () => {
    const path = tempPath()
    const old = new Database(path)
    old.pragma('page_size = 4096')
    old.pragma('journal_mode = WAL')
    old.close()
    const store = openEventStore(path)
    expect(store.save(note)).toBe('stored')
    store.close()
    expect(readPageSize(path)).toBe(4096)
    const reopened = openEventStore(path)
    expect(reopened.query(parseFilters([{ ids: [note.id] }]))).toHaveLength(1)
    reopened.close()
  })
})
