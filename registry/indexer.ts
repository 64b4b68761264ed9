// The indexer (DESIGN.md §4, "Release event"): judges every release event the relay stores, adds
// the history rule the relay cannot know, and records a verdict once per event id.
import semver from 'semver'
import type { Logger } from 'pino'

import { ValidationError, describeError } from '../src/errors.js'
import { firstTagValue, type NostrEvent } from '../src/nostr/event.js'
import {
  RELEASE_D_PREFIX,
  RELEASE_KIND,
  isReleaseEvent,
  judgeReleaseEvent,
} from '../src/release/release-event.js'
import type { Relay } from '../relay/index.js'
import type { RegistryStore } from './store.js'

export type Verdict =
  { status: 'accepted' } | { status: 'rejected'; reason: string } | { status: 'pending' }

export interface IndexerOptions {
  relay: Relay
  store: RegistryStore
  logger: Logger
  /** Called after every verdict that added a verified release. */
  onRelease?: () => void
}

export interface Indexer {
  /** Judges one event now (no-op when it already has a verdict); returns its verdict. */
  indexEvent(event: NostrEvent): Verdict
  verdictFor(eventId: string): Verdict
  stop(): void
}

/** Starts indexing: events already in the relay without a verdict, then every new one. */
export function startIndexer(options: IndexerOptions): Indexer {
  const { relay, store, logger } = options

  function indexEvent(event: NostrEvent): Verdict {
    if (!isReleaseEvent(event)) return { status: 'pending' }
    if (store.hasVerdict(event.id)) return verdictFor(event.id)
    const seenAt = new Date().toISOString()
    try {
      const { release } = judgeReleaseEvent(event)
      checkHistory(store, release.app, release.author.did, release.version)
      store.addRelease({
        event_id: event.id,
        app_id: release.app,
        publisher: { ...release.author },
        version: release.version,
        created_at: event.created_at,
        verified_at: seenAt,
        release,
      })
      logger.info({ eventId: event.id, appId: release.app }, 'release verified')
      options.onRelease?.()
    } catch (error) {
      const appId = firstTagValue(event, 'd')?.slice(RELEASE_D_PREFIX.length) || null
      const reason = describeError(error)
      store.addRejection({
        event_id: event.id,
        pubkey: event.pubkey,
        app_id: appId,
        reason,
        seen_at: seenAt,
      })
      logger.info({ eventId: event.id, appId, reason }, 'release rejected')
    }
    return verdictFor(event.id)
  }

  function verdictFor(eventId: string): Verdict {
    if (store.release(eventId)) return { status: 'accepted' }
    const rejection = store.rejection(eventId)
    if (rejection) return { status: 'rejected', reason: rejection.reason }
    return { status: 'pending' }
  }

  // Catch up first, oldest first, so the history rule sees releases in publication order.
  const backlog = relay
    .query([{ kinds: [RELEASE_KIND] }])
    .filter((event) => isReleaseEvent(event) && !store.hasVerdict(event.id))
    .sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id))
  for (const event of backlog) indexEvent(event)
  if (backlog.length > 0) logger.info({ count: backlog.length }, 'indexed stored release events')

  const unsubscribe = relay.onStored((event) => void indexEvent(event))
  return { indexEvent, verdictFor, stop: unsubscribe }
}

/** The history rule: higher by SemVer precedence than the publisher's newest verified release. */
function checkHistory(store: RegistryStore, appId: string, did: string, version: string): void {
  const previous = store.releasesBy(appId, did).map((record) => record.version)
  const newest = previous.sort(semver.rcompare)[0]
  if (newest !== undefined && semver.compare(version, newest) <= 0) {
    throw new ValidationError(
      'release.version',
      `${version} is not higher than ${newest}, ` +
        `this publisher's newest verified release of ${appId}`,
    )
  }
}
