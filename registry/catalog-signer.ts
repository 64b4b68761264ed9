// The signed catalog (DESIGN.md §4, "Catalog"): one entry per (publisher, app) with its newest
// release, signed by the operator key with a persisted, strictly increasing sequence. It is
// re-signed (debounced) when releases change and when half its validity has passed.
import semver from 'semver'
import type { Logger } from 'pino'

import { digestBytes } from '../src/digest/blake3.js'
import type { KeyPairs } from '../src/identity/key-file.js'
import { signNostrEvent, type NostrEvent } from '../src/nostr/event.js'
import { canonicalize } from '../src/proof/jcs.js'
import { formatAppAddress } from '../src/release/app-address.js'
import type { KeyRotation } from '../src/release/key-rotation.js'
import { RELEASE_KIND } from '../src/release/release-event.js'
import {
  signCatalog,
  type Catalog,
  type CatalogBody,
  type CatalogEntry,
} from '../src/release/catalog.js'
import type { Relay } from '../relay/index.js'
import { scorePublisher } from '../trust/index.js'
import type { RegistryStore, ReleaseRecord } from './store.js'

export const CATALOG_D_TAG = 'archipelago-catalog'
export const CATALOG_VALIDITY_MS = 7 * 24 * 3600 * 1000
// Each announcement is dated after the previous one (addressable events replace by created_at),
// so a long burst of catalogs would date them ever further ahead, past the relay's created_at
// window (relay_max_future_seconds, at least 60 s): past this lead, the next one waits.
const MAX_ANNOUNCEMENT_LEAD_SECONDS = 10

/** A catalog entry; `address` (`id@<did>`) marks a publisher that does not own the bare id. */
export type RegistryCatalogEntry = CatalogEntry & { address?: string }

export interface SignedCatalog {
  catalog: Catalog & { apps: RegistryCatalogEntry[] }
  /** The exact bytes served at /v1/catalog. */
  json: string
  /** BLAKE3 of `json`: the ETag and the announcement's digest. */
  blake3: string
}

export interface CatalogSignerOptions {
  store: RegistryStore
  relay: Relay
  keys: KeyPairs
  /** The node's public HTTP base URL, without a trailing slash. */
  url: string
  logger: Logger
  debounceMs?: number
  validityMs?: number
  /** The operator's allow list: app id -> the publisher DID that owns the bare id. */
  owners?: ReadonlyMap<string, string>
  /** Every rotation of the operator key, oldest first; embedded in every catalog. */
  rotations?: KeyRotation[]
}

export interface CatalogSigner {
  current(): SignedCatalog
  /** Re-signs soon (debounced) if the entries changed. */
  schedule(): void
  /** Re-signs now if the entries changed or half the validity has passed; resolves when done. */
  refresh(): Promise<SignedCatalog>
  /** Stops the timers and waits for a signing under way. */
  close(): Promise<void>
}

/** Loads the persisted catalog, re-signs it if stale, and keeps it fresh until closed. */
export async function startCatalogSigner(options: CatalogSignerOptions): Promise<CatalogSigner> {
  const { store, relay, keys, logger } = options
  const validityMs = options.validityMs ?? CATALOG_VALIDITY_MS
  const registry = { did: keys.ed25519.did, url: options.url, relay: deriveRelayUrl(options.url) }
  const rotations = options.rotations ?? []
  let current: SignedCatalog | undefined = await loadStored(store)
  let debounce: NodeJS.Timeout | undefined
  let expiryTimer: NodeJS.Timeout | undefined
  let chain: Promise<unknown> = Promise.resolve()
  let closed = false
  let wakeAnnouncement: (() => void) | undefined

  async function resignIfStale(): Promise<SignedCatalog> {
    const apps = buildEntries(store.releases(), options.owners)
    const issued = current ? Date.parse(current.catalog.issued_at) : 0
    const halfGone = Date.now() - issued >= validityMs / 2
    const same = current && hasSameContent(current.catalog, { registry, apps, rotations })
    if (current && same && !halfGone) return current

    const now = new Date()
    const body: CatalogBody = {
      type: 'ArchipelagoCatalog',
      registry,
      // Never below where the newest rotation says the current key begins (agents check it).
      sequence: Math.max(readLastSequence() + 1, rotations.at(-1)?.sequence ?? 0),
      issued_at: formatTimestamp(now),
      expires_at: formatTimestamp(new Date(now.getTime() + validityMs)),
      apps,
      ...(rotations.length > 0 && { rotations }),
    }
    const catalog = signCatalog(body, keys.ed25519) as SignedCatalog['catalog']
    const json = JSON.stringify(catalog)
    store.saveCatalogState({ sequence: body.sequence, json })
    current = { catalog, json, blake3: (await digestBytes(Buffer.from(json))).blake3 }
    logger.info({ sequence: body.sequence, apps: apps.length }, 'catalog signed')
    await announce(current)
    return current
  }

  /** The operator's newest catalog announcement on the relay, if any. */
  function findLatestAnnouncement(): NostrEvent | undefined {
    return relay.query([
      { kinds: [RELEASE_KIND], authors: [keys.nostr.pubkey], '#d': [CATALOG_D_TAG], limit: 1 },
    ])[0]
  }

  /**
   * The highest sequence this operator has used: the store's, or the one announced on the relay
   * when the store lost it (agents refuse a lower sequence, so it must never go back).
   */
  function readLastSequence(): number {
    const stored = store.catalogState()?.sequence ?? 0
    let announced = 0
    try {
      const content = JSON.parse(findLatestAnnouncement()?.content ?? '{}') as {
        sequence?: unknown
      }
      if (Number.isSafeInteger(content.sequence)) announced = content.sequence as number
    } catch {
      announced = 0
    }
    if (announced > stored) logger.warn({ stored, announced }, 'catalog sequence taken from relay')
    return Math.max(stored, announced)
  }

  async function announce(signed: SignedCatalog): Promise<void> {
    const previous = findLatestAnnouncement()
    // Addressable events replace by created_at (NIP-01); never reuse the previous second.
    const now = Math.floor(Date.now() / 1000)
    const createdAt = Math.max(now, (previous?.created_at ?? 0) + 1)
    const wait = createdAt - now - MAX_ANNOUNCEMENT_LEAD_SECONDS
    if (wait > 0 && !closed) await sleepUnlessClosed(wait * 1000)
    const content = {
      sequence: signed.catalog.sequence,
      blake3: signed.blake3,
      url: `${options.url}/v1/catalog`,
    }
    const event = signNostrEvent(
      {
        kind: RELEASE_KIND,
        created_at: createdAt,
        tags: [['d', CATALOG_D_TAG]],
        content: JSON.stringify(content),
      },
      keys.nostr.secretKey,
    )
    const answer = await relay.publish(event)
    if (!answer.accepted)
      logger.warn({ eventId: event.id, answer: answer.message }, 'catalog announcement refused')
  }

  function sleepUnlessClosed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => wakeAnnouncement?.(), ms)
      wakeAnnouncement = () => {
        clearTimeout(timer)
        wakeAnnouncement = undefined
        resolve()
      }
    })
  }

  function refresh(): Promise<SignedCatalog> {
    const run = chain.then(resignIfStale).finally(armExpiryTimer)
    chain = run.catch((error: unknown) => logger.error({ err: error }, 'catalog signing failed'))
    return run
  }

  function armExpiryTimer(): void {
    clearTimeout(expiryTimer)
    if (closed || !current) return
    const due = Date.parse(current.catalog.issued_at) + validityMs / 2 - Date.now()
    expiryTimer = setTimeout(
      () => {
        if (!closed) void refresh().catch(() => {})
      },
      Math.max(due, 1000),
    )
    expiryTimer.unref()
  }

  await refresh()
  return {
    current: () => current!,
    schedule() {
      if (closed) return
      clearTimeout(debounce)
      debounce = setTimeout(() => {
        if (!closed) void refresh().catch(() => {})
      }, options.debounceMs ?? 200)
    },
    refresh,
    async close() {
      closed = true
      clearTimeout(debounce)
      clearTimeout(expiryTimer)
      wakeAnnouncement?.()
      await chain
    },
  }
}

/**
 * One entry per (publisher, app), its newest release by SemVer precedence that is not yanked. A
 * bare id belongs to the publisher `owners` names for it (the operator's allow list); for an id
 * it does not name, to the publisher with the earliest verified release of it (yanked or not).
 * The owner's entry comes first; the others carry `address: id@<did>`. An id the allow list gives
 * to a publisher without an entry has no bare owner. Records arrive oldest verified first.
 */
export function buildEntries(
  records: ReleaseRecord[],
  owners: ReadonlyMap<string, string> = new Map(),
): RegistryCatalogEntry[] {
  const groups = new Map<string, { first: number; newest?: ReleaseRecord }>()
  records.forEach((record, position) => {
    const key = `${record.app_id}\n${record.publisher.did}`
    let group = groups.get(key)
    if (!group) groups.set(key, (group = { first: position }))
    if (record.yanked) return
    if (!group.newest || semver.gt(record.version, group.newest.version)) group.newest = record
  })

  const live = [...groups.values()].flatMap(({ first, newest }) =>
    newest ? [{ first, newest }] : [],
  )
  const rank = ({ first, newest }: { first: number; newest: ReleaseRecord }): number => {
    const owner = owners.get(newest.app_id)
    if (owner === undefined) return first
    return owner === newest.publisher.did ? -1 : records.length + first
  }
  const ordered = live.sort(
    (a, b) => compareText(a.newest.app_id, b.newest.app_id) || rank(a) - rank(b),
  )
  return ordered.map(({ newest }, index) => {
    const entry: RegistryCatalogEntry = {
      id: newest.app_id,
      publisher: newest.publisher,
      version: newest.version,
      event_id: newest.event_id,
      release: newest.release,
      trust: scorePublisher(newest.publisher.did),
    }
    const owner = owners.get(newest.app_id)
    const first = ordered.findIndex((group) => group.newest.app_id === newest.app_id)
    const ownsId = owner === undefined ? first === index : owner === newest.publisher.did
    if (!ownsId) entry.address = formatAppAddress(newest.app_id, newest.publisher.did)
    return entry
  })
}

async function loadStored(store: RegistryStore): Promise<SignedCatalog | undefined> {
  const state = store.catalogState()
  if (!state) return undefined
  const catalog = JSON.parse(state.json) as SignedCatalog['catalog']
  return { catalog, json: state.json, blake3: (await digestBytes(Buffer.from(state.json))).blake3 }
}

function hasSameContent(
  catalog: CatalogBody,
  next: Pick<CatalogBody, 'registry' | 'apps' | 'rotations'>,
): boolean {
  const served = [catalog.registry, catalog.apps, catalog.rotations ?? []]
  return canonicalize(served) === canonicalize([next.registry, next.apps, next.rotations])
}

function deriveRelayUrl(url: string): string {
  return url.replace(/^http/, 'ws')
}

function formatTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
