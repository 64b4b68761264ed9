// The agent store's schema over time: a store made before a column was added opens with its rows
// kept and the column added, so an agent upgrade never needs the store rebuilt.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { openAgentStore } from '../../node-agent/agent-store.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'agent-store-schema-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

// The installs and members tables as the first agents made them (no members.migration).
const FIRST_SCHEMA = `
CREATE TABLE installs (
  app_id TEXT PRIMARY KEY, registry_url TEXT NOT NULL, publisher_did TEXT NOT NULL,
  version TEXT NOT NULL, release TEXT NOT NULL, desired TEXT NOT NULL, mode TEXT NOT NULL,
  warnings TEXT NOT NULL, last_error TEXT, installed_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE members (
  app_id TEXT PRIMARY KEY, install_id TEXT NOT NULL REFERENCES installs(app_id) ON DELETE CASCADE,
  position INTEGER NOT NULL, container_name TEXT NOT NULL, config_hash TEXT,
  adopted INTEGER NOT NULL);
INSERT INTO installs VALUES ('hello', 'http://127.0.0.1:1', 'did:key:z6MkExample', '1.0.0', '{}',
  'running', 'podman', '[]', NULL, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
INSERT INTO members VALUES ('hello', 'hello', 0, 'old-hello', 'abc', 1);
`

describe('openAgentStore on a store of an older schema', () => {
  it('adds the migration column and keeps every member', () => {
    const file = path.join(dir, 'agent.sqlite')
    const old = new Database(file)
    old.exec(FIRST_SCHEMA)
    old.close()

    const store = openAgentStore(file)
    try {
      expect(store.listMembers('hello')).toEqual([
        {
          appId: 'hello',
          installId: 'hello',
          position: 0,
          containerName: 'old-hello',
          configHash: 'abc',
          adopted: true,
        },
      ])
      const migration = {
        foundName: 'old-hello',
        legacyName: true,
        version: '1.0.0',
        adoptedAt: '2026-01-02T00:00:00Z',
        relabelledAt: null,
      }
      store.updateMember('hello', { migration })
      expect(store.listMembers('hello')[0]?.migration).toEqual(migration)
    } finally {
      store.close()
    }

    // Opening it again finds the column there and adds nothing.
    const again = openAgentStore(file)
    expect(again.listMembers('hello')[0]?.migration?.foundName).toBe('old-hello')
    again.close()
  })
})
