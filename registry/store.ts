// The registry's own SQLite database (WAL), beside the relay's: every verified release, every
// rejection with its reason, the catalog state (persisted sequence) and the blob index.
import Database from 'better-sqlite3'

import { openSqlite } from '../src/fs/sqlite-damage.js'

export interface ReleaseRecord {
  event_id: string
  app_id: string
  publisher: { did: string; nostr_pubkey: string }
  version: string
  created_at: number
  verified_at: string
  release: unknown
  /** Set once the publisher deleted the release (NIP-09): kept, never in the catalog. */
  yanked?: YankRecord | null
}

export interface YankRecord {
  /** The kind 5 deletion event that yanked the release. */
  deletion_id: string
  yanked_at: string
}

export interface RejectionRecord {
  event_id: string
  pubkey: string
  app_id: string | null
  reason: string
  seen_at: string
}

export interface CatalogState {
  sequence: number
  /** The signed catalog exactly as served. */
  json: string
}

export interface BlobRecord {
  blake3: string
  sha256: string
  size: number
  uploaded_by: string
  created_at: string
}

export interface RegistryStore {
  addRelease(record: ReleaseRecord): void
  addRejection(record: RejectionRecord): void
  hasVerdict(eventId: string): boolean
  release(eventId: string): ReleaseRecord | undefined
  rejection(eventId: string): RejectionRecord | undefined
  /** Every verified release, oldest verified first. */
  releases(): ReleaseRecord[]
  releasesOf(appId: string): ReleaseRecord[]
  releasesBy(appId: string, did: string): ReleaseRecord[]
  /** Marks a release yanked; false when it was already yanked or is not stored. */
  yankRelease(eventId: string, yank: YankRecord): boolean
  /** Newest first; `appId` narrows to one app. */
  rejections(options?: { appId?: string; limit?: number }): RejectionRecord[]
  catalogState(): CatalogState | undefined
  saveCatalogState(state: CatalogState): void
  addBlob(record: BlobRecord): void
  blob(blake3: string): BlobRecord | undefined
  close(): void
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS releases (
  event_id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL,
  publisher_did TEXT NOT NULL,
  publisher_pubkey TEXT NOT NULL,
  version TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  release_json TEXT NOT NULL,
  verified_at TEXT NOT NULL,
  yanked_by TEXT,
  yanked_at TEXT
);
CREATE INDEX IF NOT EXISTS releases_by_app ON releases (app_id, publisher_did);
CREATE TABLE IF NOT EXISTS rejections (
  event_id TEXT PRIMARY KEY,
  pubkey TEXT NOT NULL,
  app_id TEXT,
  reason TEXT NOT NULL,
  seen_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rejections_by_app ON rejections (app_id);
CREATE TABLE IF NOT EXISTS catalog_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  sequence INTEGER NOT NULL,
  catalog_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blobs (
  blake3 TEXT PRIMARY KEY,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  uploaded_by TEXT NOT NULL,
  created_at TEXT NOT NULL
);
`

interface ReleaseRow {
  event_id: string
  app_id: string
  publisher_did: string
  publisher_pubkey: string
  version: string
  created_at: number
  release_json: string
  verified_at: string
  yanked_by: string | null
  yanked_at: string | null
}

const REGISTRY_DB_RECOVERY =
  'stop the registry node and restore the file from a backup (with its -wal file, if any)'

/** Opens (and creates when missing) the registry database at `path`. */
export function openRegistryStore(path: string): RegistryStore {
  const db = openSqlite(path, REGISTRY_DB_RECOVERY, () => {
    const opened = new Database(path)
    opened.pragma('journal_mode = WAL')
    opened.pragma('synchronous = NORMAL')
    opened.exec(SCHEMA)
    addYankColumns(opened)
    return opened
  })

  // Insertion order (rowid) is verification order: "earliest verified release" reads it.
  const insertRelease = db.prepare(
    `INSERT OR IGNORE INTO releases VALUES
     (@event_id, @app_id, @publisher_did, @publisher_pubkey, @version, @created_at,
      @release_json, @verified_at, NULL, NULL)`,
  )
  const updateYank = db.prepare(
    'UPDATE releases SET yanked_by = ?, yanked_at = ? WHERE event_id = ? AND yanked_by IS NULL',
  )
  const insertRejection = db.prepare(
    'INSERT OR IGNORE INTO rejections VALUES (@event_id, @pubkey, @app_id, @reason, @seen_at)',
  )
  const selectAll = db.prepare<[], ReleaseRow>('SELECT * FROM releases ORDER BY rowid')
  const selectOne = db.prepare<[string], ReleaseRow>('SELECT * FROM releases WHERE event_id = ?')
  const selectOfApp = db.prepare<[string], ReleaseRow>(
    'SELECT * FROM releases WHERE app_id = ? ORDER BY rowid',
  )
  const selectBy = db.prepare<[string, string], ReleaseRow>(
    'SELECT * FROM releases WHERE app_id = ? AND publisher_did = ? ORDER BY rowid',
  )
  const selectRejection = db.prepare<[string], RejectionRecord>(
    'SELECT * FROM rejections WHERE event_id = ?',
  )
  const selectRejections = db.prepare<[number], RejectionRecord>(
    'SELECT * FROM rejections ORDER BY rowid DESC LIMIT ?',
  )
  const selectRejectionsOf = db.prepare<[string, number], RejectionRecord>(
    'SELECT * FROM rejections WHERE app_id = ? ORDER BY rowid DESC LIMIT ?',
  )
  const selectState = db.prepare<[], { sequence: number; catalog_json: string }>(
    'SELECT sequence, catalog_json FROM catalog_state WHERE id = 1',
  )
  const upsertState = db.prepare(
    `INSERT INTO catalog_state (id, sequence, catalog_json) VALUES (1, ?, ?)
     ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence,
       catalog_json = excluded.catalog_json`,
  )
  const insertBlob = db.prepare(
    'INSERT OR IGNORE INTO blobs VALUES (@blake3, @sha256, @size, @uploaded_by, @created_at)',
  )
  const selectBlob = db.prepare<[string], BlobRecord>('SELECT * FROM blobs WHERE blake3 = ?')

  return {
    addRelease(record) {
      insertRelease.run({
        event_id: record.event_id,
        app_id: record.app_id,
        publisher_did: record.publisher.did,
        publisher_pubkey: record.publisher.nostr_pubkey,
        version: record.version,
        created_at: record.created_at,
        release_json: JSON.stringify(record.release),
        verified_at: record.verified_at,
      })
    },
    addRejection: (record) => void insertRejection.run(record),
    hasVerdict: (eventId) =>
      selectOne.get(eventId) !== undefined || selectRejection.get(eventId) !== undefined,
    release: (eventId) => mapRelease(selectOne.get(eventId)),
    rejection: (eventId) => selectRejection.get(eventId),
    releases: () => selectAll.all().map(readReleaseRow),
    releasesOf: (appId) => selectOfApp.all(appId).map(readReleaseRow),
    releasesBy: (appId, did) => selectBy.all(appId, did).map(readReleaseRow),
    yankRelease: (eventId, yank) =>
      updateYank.run(yank.deletion_id, yank.yanked_at, eventId).changes > 0,
    rejections({ appId, limit = 1000 } = {}) {
      return appId === undefined
        ? selectRejections.all(limit)
        : selectRejectionsOf.all(appId, limit)
    },
    catalogState() {
      const row = selectState.get()
      return row && { sequence: row.sequence, json: row.catalog_json }
    },
    saveCatalogState: (state) => void upsertState.run(state.sequence, state.json),
    addBlob: (record) => void insertBlob.run(record),
    blob: (blake3) => selectBlob.get(blake3),
    close: () => db.close(),
  }
}

function mapRelease(row: ReleaseRow | undefined): ReleaseRecord | undefined {
  return row && readReleaseRow(row)
}

function readReleaseRow(row: ReleaseRow): ReleaseRecord {
  return {
    event_id: row.event_id,
    app_id: row.app_id,
    publisher: { did: row.publisher_did, nostr_pubkey: row.publisher_pubkey },
    version: row.version,
    created_at: row.created_at,
    verified_at: row.verified_at,
    release: JSON.parse(row.release_json) as unknown,
    yanked:
      row.yanked_by === null
        ? null
        : { deletion_id: row.yanked_by, yanked_at: row.yanked_at ?? '' },
  }
}

/** Databases made before yanking existed get its two columns. */
function addYankColumns(db: Database.Database): void {
  const columns = db.pragma('table_info(releases)') as { name: string }[]
  if (columns.some((column) => column.name === 'yanked_by')) return
  db.exec('ALTER TABLE releases ADD COLUMN yanked_by TEXT')
  db.exec('ALTER TABLE releases ADD COLUMN yanked_at TEXT')
}
