// The blob index (SQLite, WAL): each stored blob's digests, size and media type, and who uploaded
// it (a Blossom "owner", BUD-02), which is what `/list/<pubkey>`, DELETE and quotas read.
import Database from 'better-sqlite3'

import { openSqlite } from '../src/fs/sqlite-damage.js'

export interface IndexedBlob {
  blake3: string
  sha256: string
  size: number
  type: string | null
  /** Unix seconds of the newest upload: the start of its grace period. */
  uploaded: number
}

export interface OwnedBlob extends IndexedBlob {
  pubkey: string
}

export interface BlobIndex {
  /** Records an upload by `pubkey`; a blob uploaded again gets a fresh `uploaded` time. */
  recordUpload(blob: IndexedBlob, pubkey: string): void
  byBlake3(blake3: string): IndexedBlob | undefined
  bySha256(sha256: string): IndexedBlob | undefined
  /** Blobs `pubkey` uploaded, newest first, within `since`..`until` (Unix seconds). */
  ownedBy(pubkey: string, window?: { since?: number; until?: number }): OwnedBlob[]
  owns(pubkey: string, blake3: string): boolean
  /** Bytes of the blobs `pubkey` uploaded: what its quota counts. */
  usageOf(pubkey: string): number
  owners(blake3: string): string[]
  /** Drops one owner's claim; the blob stays indexed. */
  removeOwner(blake3: string, pubkey: string): void
  /** Forgets a blob and every claim on it. */
  remove(blake3: string): void
  all(): IndexedBlob[]
  close(): void
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS blobs (
  blake3 TEXT PRIMARY KEY,
  sha256 TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  type TEXT,
  uploaded INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS blob_owners (
  blake3 TEXT NOT NULL REFERENCES blobs (blake3) ON DELETE CASCADE,
  pubkey TEXT NOT NULL,
  uploaded INTEGER NOT NULL,
  PRIMARY KEY (pubkey, blake3)
);
CREATE INDEX IF NOT EXISTS blob_owners_by_blob ON blob_owners (blake3);
`

const REGISTRY_DB_RECOVERY =
  'stop the registry node and restore the file from a backup (with its -wal file, if any)'

/** Opens (and creates when missing) the blob index at `path`. */
export function openBlobIndex(path: string): BlobIndex {
  const db = openSqlite(path, REGISTRY_DB_RECOVERY, () => {
    const opened = new Database(path)
    opened.pragma('journal_mode = WAL')
    opened.pragma('foreign_keys = ON')
    opened.exec(SCHEMA)
    return opened
  })

  const upsertBlob = db.prepare(
    `INSERT INTO blobs VALUES (@blake3, @sha256, @size, @type, @uploaded)
     ON CONFLICT (blake3) DO UPDATE SET uploaded = excluded.uploaded,
       type = coalesce(blobs.type, excluded.type)`,
  )
  const upsertOwner = db.prepare(
    `INSERT INTO blob_owners VALUES (?, ?, ?)
     ON CONFLICT (pubkey, blake3) DO UPDATE SET uploaded = excluded.uploaded`,
  )
  const selectByBlake3 = db.prepare<[string], IndexedBlob>('SELECT * FROM blobs WHERE blake3 = ?')
  const selectBySha256 = db.prepare<[string], IndexedBlob>('SELECT * FROM blobs WHERE sha256 = ?')
  const selectOwned = db.prepare<[string, number, number], OwnedBlob>(
    `SELECT b.blake3, b.sha256, b.size, b.type, o.uploaded, o.pubkey
     FROM blob_owners o JOIN blobs b USING (blake3)
     WHERE o.pubkey = ? AND o.uploaded >= ? AND o.uploaded <= ?
     ORDER BY o.uploaded DESC, b.blake3`,
  )
  const selectOwnership = db.prepare<[string, string], { one: number }>(
    'SELECT 1 AS one FROM blob_owners WHERE pubkey = ? AND blake3 = ?',
  )
  const selectUsage = db.prepare<[string], { bytes: number | null }>(
    `SELECT sum(b.size) AS bytes FROM blob_owners o JOIN blobs b USING (blake3)
     WHERE o.pubkey = ?`,
  )
  const selectOwners = db.prepare<[string], { pubkey: string }>(
    'SELECT pubkey FROM blob_owners WHERE blake3 = ? ORDER BY pubkey',
  )
  const deleteOwner = db.prepare('DELETE FROM blob_owners WHERE blake3 = ? AND pubkey = ?')
  const deleteBlob = db.prepare('DELETE FROM blobs WHERE blake3 = ?')
  const selectAll = db.prepare<[], IndexedBlob>('SELECT * FROM blobs ORDER BY blake3')

  const recordUpload = db.transaction((blob: IndexedBlob, pubkey: string) => {
    upsertBlob.run(blob)
    upsertOwner.run(blob.blake3, pubkey, blob.uploaded)
  })

  return {
    recordUpload: (blob, pubkey) => void recordUpload(blob, pubkey),
    byBlake3: (blake3) => selectByBlake3.get(blake3),
    bySha256: (sha256) => selectBySha256.get(sha256),
    ownedBy: (pubkey, { since = 0, until = Number.MAX_SAFE_INTEGER } = {}) =>
      selectOwned.all(pubkey, since, until),
    owns: (pubkey, blake3) => selectOwnership.get(pubkey, blake3) !== undefined,
    usageOf: (pubkey) => selectUsage.get(pubkey)?.bytes ?? 0,
    owners: (blake3) => selectOwners.all(blake3).map((row) => row.pubkey),
    removeOwner: (blake3, pubkey) => void deleteOwner.run(blake3, pubkey),
    remove: (blake3) => void deleteBlob.run(blake3),
    all: () => selectAll.all(),
    close: () => db.close(),
  }
}
