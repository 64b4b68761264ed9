// The agent's desired state in SQLite (WAL): followed registries with their last accepted catalog,
// and installs with their members. This store, not `podman ps`, is the source of truth.
import Database from 'better-sqlite3'

import { openSqlite } from '../src/fs/sqlite-damage.js'

import type {
  DesiredState,
  RuntimeMode,
  RegistryRecord,
  InstallRecord,
  MemberRecord,
  UpdatePolicy,
  UpdateState,
  UpdateRecord,
  CrashLoopRecord,
  RestartBaseline,
  MigrationRecord,
} from './agent-records.js'

// The records are this module's vocabulary: its importers name them from here.
export type * from './agent-records.js'

export interface AgentStore {
  listRegistries(): RegistryRecord[]
  getRegistry(url: string): RegistryRecord | undefined
  addRegistry(url: string, did: string): void
  acceptCatalog(
    url: string,
    accepted: { sequence: number; contentDigest: string; catalog: unknown },
  ): void
  listInstalls(): InstallRecord[]
  getInstall(appId: string): InstallRecord | undefined
  /** The install that owns a member app id, if any. */
  findOwner(memberId: string): string | undefined
  listMembers(installId: string): MemberRecord[]
  saveInstall(install: InstallRecord, members: MemberRecord[]): void
  setDesired(appId: string, desired: DesiredState): void
  setOutcome(appId: string, outcome: { warnings: string[]; lastError: string | null }): void
  setInstalledVersion(appId: string, version: string): void
  updateMember(
    appId: string,
    change: Partial<Pick<MemberRecord, 'containerName' | 'configHash' | 'adopted' | 'migration'>>,
  ): void
  deleteInstall(appId: string): void
  getPolicy(appId: string): UpdatePolicy
  setPolicy(appId: string, change: Partial<UpdatePolicy>): void
  getUpdate(appId: string): UpdateRecord | undefined
  saveUpdate(update: UpdateRecord): void
  getCrashLoop(appId: string): CrashLoopRecord | undefined
  saveCrashLoop(record: CrashLoopRecord): void
  /** Forgets an install's failures and what passes saw of its containers: a retry from zero. */
  clearCrashLoop(appId: string): void
  getRestartBaseline(memberId: string): RestartBaseline | undefined
  saveRestartBaseline(baseline: RestartBaseline): void
  close(): void
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS registries (
  url TEXT PRIMARY KEY, did TEXT NOT NULL, sequence INTEGER, content_digest TEXT,
  catalog TEXT, added_at TEXT NOT NULL, fetched_at TEXT);
CREATE TABLE IF NOT EXISTS installs (
  app_id TEXT PRIMARY KEY, registry_url TEXT NOT NULL, publisher_did TEXT NOT NULL,
  version TEXT NOT NULL, release TEXT NOT NULL, desired TEXT NOT NULL, mode TEXT NOT NULL,
  warnings TEXT NOT NULL, last_error TEXT, installed_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS members (
  app_id TEXT PRIMARY KEY, install_id TEXT NOT NULL REFERENCES installs(app_id) ON DELETE CASCADE,
  position INTEGER NOT NULL, container_name TEXT NOT NULL, config_hash TEXT,
  adopted INTEGER NOT NULL, migration TEXT);
CREATE TABLE IF NOT EXISTS policies (
  app_id TEXT PRIMARY KEY REFERENCES installs(app_id) ON DELETE CASCADE,
  pinned_version TEXT, auto_update INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS updates (
  app_id TEXT PRIMARY KEY REFERENCES installs(app_id) ON DELETE CASCADE,
  state TEXT NOT NULL, from_version TEXT NOT NULL, to_version TEXT NOT NULL,
  from_release TEXT NOT NULL, snapshots TEXT NOT NULL, warnings TEXT NOT NULL, error TEXT,
  started_at TEXT NOT NULL, finished_at TEXT);
CREATE TABLE IF NOT EXISTS crash_loops (
  app_id TEXT PRIMARY KEY REFERENCES installs(app_id) ON DELETE CASCADE, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS restart_baselines (
  member_id TEXT PRIMARY KEY REFERENCES members(app_id) ON DELETE CASCADE, record TEXT NOT NULL);
`

/**
 * Columns added after a table's first release, made on open where an older store lacks them
 * (SQLite's ADD COLUMN keeps every row, the new column NULL).
 */
const ADDED_COLUMNS = [{ table: 'members', column: 'migration', type: 'TEXT' }]

function addMissingColumns(db: Database.Database): void {
  for (const { table, column, type } of ADDED_COLUMNS) {
    const columns = db.pragma(`table_info(${table})`) as { name: string }[]
    if (columns.some((existing) => existing.name === column)) continue
    db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`)
  }
}

interface RegistryRow {
  url: string
  did: string
  sequence: number | null
  content_digest: string | null
  catalog: string | null
  added_at: string
  fetched_at: string | null
}

interface InstallRow {
  app_id: string
  registry_url: string
  publisher_did: string
  version: string
  release: string
  desired: DesiredState
  mode: RuntimeMode
  warnings: string
  last_error: string | null
  installed_at: string
  updated_at: string
}

interface MemberRow {
  app_id: string
  install_id: string
  position: number
  container_name: string
  config_hash: string | null
  adopted: number
  migration: string | null
}

interface UpdateRow {
  app_id: string
  state: UpdateState
  from_version: string
  to_version: string
  from_release: string
  snapshots: string
  warnings: string
  error: string | null
  started_at: string
  finished_at: string | null
}

const AGENT_STORE_RECOVERY =
  "the agent's installs and registries are recorded there: stop the agent and restore the " +
  'file from a backup (with its -wal file, if any); containers and app data are untouched'

/** Opens (creating if needed) the store at a path. */
export function openAgentStore(file: string): AgentStore {
  const db = openSqlite(file, AGENT_STORE_RECOVERY, () => {
    const opened = new Database(file)
    try {
      opened.pragma('journal_mode = WAL')
      opened.pragma('foreign_keys = ON')
      opened.pragma('busy_timeout = 5000')
      opened.exec(SCHEMA)
      // The store is small: a quick check at open finds damage before any decision rests on it.
      const check = opened.pragma('quick_check', { simple: true }) as string
      if (check !== 'ok') {
        const damage = new Error('database disk image is malformed', { cause: check })
        throw Object.assign(damage, { code: 'SQLITE_CORRUPT' })
      }
      addMissingColumns(opened)
      return opened
    } catch (error) {
      opened.close()
      throw error
    }
  })

  const now = (): string => new Date().toISOString()
  const toRegistry = (row: RegistryRow): RegistryRecord => ({
    url: row.url,
    did: row.did,
    sequence: row.sequence,
    contentDigest: row.content_digest,
    catalog: row.catalog === null ? null : (JSON.parse(row.catalog) as unknown),
    addedAt: row.added_at,
    fetchedAt: row.fetched_at,
  })
  const toInstall = (row: InstallRow): InstallRecord => ({
    appId: row.app_id,
    registryUrl: row.registry_url,
    publisherDid: row.publisher_did,
    version: row.version,
    release: JSON.parse(row.release) as unknown,
    desired: row.desired,
    mode: row.mode,
    warnings: JSON.parse(row.warnings) as string[],
    lastError: row.last_error,
    installedAt: row.installed_at,
    updatedAt: row.updated_at,
  })
  const toMember = (row: MemberRow): MemberRecord => ({
    appId: row.app_id,
    installId: row.install_id,
    position: row.position,
    containerName: row.container_name,
    configHash: row.config_hash,
    adopted: row.adopted === 1,
    ...(row.migration !== null && { migration: JSON.parse(row.migration) as MigrationRecord }),
  })

  const toUpdate = (row: UpdateRow): UpdateRecord => ({
    appId: row.app_id,
    state: row.state,
    fromVersion: row.from_version,
    toVersion: row.to_version,
    fromRelease: JSON.parse(row.from_release) as unknown,
    snapshots: JSON.parse(row.snapshots) as UpdateRecord['snapshots'],
    warnings: JSON.parse(row.warnings) as string[],
    error: row.error,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  })

  const json = (value: unknown): string => JSON.stringify(value)
  const readRecord = <T>(table: string, key: string, value: string): T | undefined => {
    const row = db.prepare(`SELECT record FROM ${table} WHERE ${key} = ?`).get(value) as
      { record: string } | undefined
    return row && (JSON.parse(row.record) as T)
  }

  const getPolicy = (appId: string): UpdatePolicy => {
    const row = db
      .prepare('SELECT pinned_version, auto_update FROM policies WHERE app_id = ?')
      .get(appId) as { pinned_version: string | null; auto_update: number } | undefined
    return { pinnedVersion: row?.pinned_version ?? null, autoUpdate: row?.auto_update === 1 }
  }

  const saveInstall = db.transaction((install: InstallRecord, members: MemberRecord[]) => {
    db.prepare('DELETE FROM members WHERE install_id = ?').run(install.appId)
    db.prepare(
      `INSERT INTO installs VALUES (@appId, @registryUrl, @publisherDid, @version, @release,
        @desired, @mode, @warnings, @lastError, @installedAt, @updatedAt)
       ON CONFLICT(app_id) DO UPDATE SET registry_url = excluded.registry_url,
        publisher_did = excluded.publisher_did, version = excluded.version,
        release = excluded.release, desired = excluded.desired, mode = excluded.mode,
        warnings = excluded.warnings, last_error = excluded.last_error,
        updated_at = excluded.updated_at`,
    ).run({
      ...install,
      release: JSON.stringify(install.release),
      warnings: JSON.stringify(install.warnings),
    })
    const insert = db.prepare(
      `INSERT INTO members (app_id, install_id, position, container_name, config_hash, adopted,
        migration) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    for (const m of members) {
      const migration = m.migration ? JSON.stringify(m.migration) : null
      insert.run(
        m.appId,
        install.appId,
        m.position,
        m.containerName,
        m.configHash,
        m.adopted ? 1 : 0,
        migration,
      )
    }
  })

  return {
    listRegistries: () =>
      (db.prepare('SELECT * FROM registries ORDER BY added_at, url').all() as RegistryRow[]).map(
        toRegistry,
      ),
    getRegistry(url) {
      const row = db.prepare('SELECT * FROM registries WHERE url = ?').get(url) as
        RegistryRow | undefined
      return row && toRegistry(row)
    },
    addRegistry(url, did) {
      db.prepare(
        'INSERT INTO registries (url, did, added_at) VALUES (?, ?, ?) ON CONFLICT(url) DO NOTHING',
      ).run(url, did, now())
    },
    acceptCatalog(url, accepted) {
      db.prepare(
        `UPDATE registries SET sequence = ?, content_digest = ?, catalog = ?, fetched_at = ?
         WHERE url = ?`,
      ).run(accepted.sequence, accepted.contentDigest, JSON.stringify(accepted.catalog), now(), url)
    },
    listInstalls: () =>
      (db.prepare('SELECT * FROM installs ORDER BY app_id').all() as InstallRow[]).map(toInstall),
    getInstall(appId) {
      const row = db.prepare('SELECT * FROM installs WHERE app_id = ?').get(appId) as
        InstallRow | undefined
      return row && toInstall(row)
    },
    findOwner(memberId) {
      const row = db.prepare('SELECT install_id FROM members WHERE app_id = ?').get(memberId) as
        { install_id: string } | undefined
      return row?.install_id
    },
    listMembers: (installId) =>
      (
        db
          .prepare('SELECT * FROM members WHERE install_id = ? ORDER BY position')
          .all(installId) as MemberRow[]
      ).map(toMember),
    saveInstall: (install, members) => saveInstall(install, members),
    setDesired(appId, desired) {
      db.prepare('UPDATE installs SET desired = ?, updated_at = ? WHERE app_id = ?').run(
        desired,
        now(),
        appId,
      )
    },
    setOutcome(appId, outcome) {
      db.prepare(
        'UPDATE installs SET warnings = ?, last_error = ?, updated_at = ? WHERE app_id = ?',
      ).run(JSON.stringify(outcome.warnings), outcome.lastError, now(), appId)
    },
    setInstalledVersion(appId, version) {
      db.prepare('UPDATE installs SET version = ?, updated_at = ? WHERE app_id = ?').run(
        version,
        now(),
        appId,
      )
    },
    updateMember(appId, change) {
      const current = db.prepare('SELECT * FROM members WHERE app_id = ?').get(appId) as
        MemberRow | undefined
      if (!current) return
      const next = { ...toMember(current), ...change }
      const migration = next.migration ? JSON.stringify(next.migration) : null
      db.prepare(
        `UPDATE members SET container_name = ?, config_hash = ?, adopted = ?, migration = ?
         WHERE app_id = ?`,
      ).run(next.containerName, next.configHash, next.adopted ? 1 : 0, migration, appId)
    },
    deleteInstall(appId) {
      db.prepare('DELETE FROM installs WHERE app_id = ?').run(appId)
    },
    getPolicy,
    setPolicy(appId, change) {
      const next = { ...getPolicy(appId), ...change }
      db.prepare(
        `INSERT INTO policies VALUES (?, ?, ?) ON CONFLICT(app_id) DO UPDATE
         SET pinned_version = excluded.pinned_version, auto_update = excluded.auto_update`,
      ).run(appId, next.pinnedVersion, next.autoUpdate ? 1 : 0)
    },
    getUpdate(appId) {
      const row = db.prepare('SELECT * FROM updates WHERE app_id = ?').get(appId) as
        UpdateRow | undefined
      return row && toUpdate(row)
    },
    saveUpdate(update) {
      db.prepare(
        `INSERT OR REPLACE INTO updates VALUES (@appId, @state, @fromVersion, @toVersion,
          @fromRelease, @snapshots, @warnings, @error, @startedAt, @finishedAt)`,
      ).run({
        ...update,
        fromRelease: JSON.stringify(update.fromRelease),
        snapshots: JSON.stringify(update.snapshots),
        warnings: JSON.stringify(update.warnings),
      })
    },
    getCrashLoop: (appId) => readRecord<CrashLoopRecord>('crash_loops', 'app_id', appId),
    saveCrashLoop(record) {
      db.prepare('INSERT OR REPLACE INTO crash_loops VALUES (?, ?)').run(record.appId, json(record))
    },
    clearCrashLoop(appId) {
      db.prepare('DELETE FROM crash_loops WHERE app_id = ?').run(appId)
      db.prepare(
        `DELETE FROM restart_baselines
         WHERE member_id IN (SELECT app_id FROM members WHERE install_id = ?)`,
      ).run(appId)
    },
    getRestartBaseline: (memberId) =>
      readRecord<RestartBaseline>('restart_baselines', 'member_id', memberId),
    saveRestartBaseline(baseline) {
      const insert = db.prepare('INSERT OR REPLACE INTO restart_baselines VALUES (?, ?)')
      insert.run(baseline.memberId, json(baseline))
    },
    close: () => db.close(),
  }
}
