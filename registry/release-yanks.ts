// Yanking (NIP-09): a kind 5 deletion by a release's own author marks the release yanked. The
// registry keeps it in its history, visibly marked, and never puts it in a catalog again.
import type { NostrEvent } from '../src/nostr/event.js'
import { RELEASE_D_PREFIX, RELEASE_KIND } from '../src/release/release-event.js'
import type { Relay } from '../relay/index.js'
import type { RegistryStore, ReleaseRecord } from './store.js'

/** NIP-09: an event deletion request. */
export const DELETION_KIND = 5

const EVENT_ID = /^[0-9a-f]{64}$/

/**
 * Applies one deletion to the releases it names: `e` tags by event id, `a` tags
 * (`30078:<pubkey>:archipelago-app:<id>`) every release at that address up to the deletion's
 * `created_at` (NIP-09). Only the release's own Nostr key can yank it. Returns the ids yanked now.
 */
export function applyDeletion(store: RegistryStore, deletion: NostrEvent): string[] {
  if (deletion.kind !== DELETION_KIND) return []
  const yank = { deletion_id: deletion.id, yanked_at: new Date().toISOString() }
  const targets = new Set<ReleaseRecord>()

  for (const [name, value] of deletion.tags) {
    if (name === 'e' && value !== undefined && EVENT_ID.test(value)) {
      const record = store.release(value)
      if (record) targets.add(record)
    } else if (name === 'a' && value !== undefined) {
      const appId = readReleaseAddress(value, deletion.pubkey)
      if (appId === undefined) continue
      for (const record of store.releasesOf(appId)) {
        if (record.created_at <= deletion.created_at) targets.add(record)
      }
    }
  }

  const yanked: string[] = []
  for (const record of targets) {
    if (record.publisher.nostr_pubkey !== deletion.pubkey) continue
    if (store.yankRelease(record.event_id, yank)) yanked.push(record.event_id)
  }
  return yanked
}

/** Stored deletions by the author of a release just verified that name it (by id or address). */
export function findDeletionsOf(relay: Relay, record: ReleaseRecord): NostrEvent[] {
  const authors = [record.publisher.nostr_pubkey]
  const address = `${RELEASE_KIND}:${authors[0]}:${RELEASE_D_PREFIX}${record.app_id}`
  return relay.query([
    { kinds: [DELETION_KIND], authors, '#e': [record.event_id] },
    { kinds: [DELETION_KIND], authors, '#a': [address] },
  ])
}

/** The app id of an `a` value naming a release address of `pubkey`, else undefined. */
function readReleaseAddress(value: string, pubkey: string): string | undefined {
  const prefix = `${RELEASE_KIND}:${pubkey}:${RELEASE_D_PREFIX}`
  return value.startsWith(prefix) ? value.slice(prefix.length) : undefined
}
