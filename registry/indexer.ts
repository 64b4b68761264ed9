// The indexer (DESIGN.md §4, "Release event"): judges every release event the relay stores, adds
// the history rule the relay cannot know, records a verdict once per event id, and yanks releases
// their authors delete (NIP-09).
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
import { DELETION_KIND, applyDeletion, findDeletionsOf } from './release-yanks.js'
import type { RegistryStore } from './store.js'

/** A judged release event. There is no "pending": a stored release is judged before it is used. */
export type Verdict = { status: 'accepted' } | { status: 'rejected'; reason: string }

export interface IndexerOptions {
  relay: Relay
  store: RegistryStore
  logger: Logger
  /** Called after every verdict that added a verified release, and after every yank. */
  onRelease?: () => void
}

export interface Indexer {
  /**
   * Judges one event now (no-op when it already has a verdict) and returns its verdict; undefined
   * for an event outside the release namespace, which the registry never judges.
   */
  indexEvent(event: NostrEvent): Verdict | undefined
  /**
   * The verdict on a release event this registry holds, judging it first if it has none yet (its
   * judgement failed to commit, say); undefined when no such release event is stored here.
   */
  verdictFor(eventId: string): Verdict | undefined
  stop(): void
}

/** Starts indexing: events already in the relay without a verdict, then every new one. */
export function startIndexer(options: IndexerOptions): Indexer {
  const { relay, store, logger } = options

  function indexEvent(event: NostrEvent): Verdict | undefined {
    if (!isReleaseEvent(event)) return undefined
    const recorded = recordedVerdict(event.id)
    if (recorded) return recorded
    const seenAt = new Date().toISOString()

    // Judge first; only a broken rule is a rejection. A failure to store either outcome is
    // thrown, leaving the event without a verdict so that it is judged again later.
    let release: ReturnType<typeof judgeReleaseEvent>['release']
    try {
      release = judgeReleaseEvent(event).release
      checkHistory(store, release.app, release.author.did, release.version)
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
      return { status: 'rejected', reason }
    }

    const record = {
      event_id: event.id,
      app_id: release.app,
      publisher: { ...release.author },
      version: release.version,
      created_at: event.created_at,
      verified_at: seenAt,
      release,
    }
    store.addRelease(record)
    logger.info({ eventId: event.id, appId: release.app }, 'release verified')
    // A deletion can reach the relay before the release it names (from an upstream, say).
    for (const deletion of findDeletionsOf(relay, record)) yankBy(deletion)
    announceRelease()
    return { status: 'accepted' }
  }

  // The verdict is committed: a failing callback (the catalog signer) neither undoes nor hides it,
  // whether the event came from the relay's onStored or from verdictFor.
  function announceRelease(): void {
    try {
      options.onRelease?.()
    } catch (error) {
      logger.error({ err: error }, 'registry onRelease callback failed')
    }
  }

  function yankBy(deletion: NostrEvent): number {
    const yanked = applyDeletion(store, deletion)
    for (const eventId of yanked) {
      logger.info({ eventId, deletionId: deletion.id }, 'release yanked')
    }
    return yanked.length
  }

  function onStored(event: NostrEvent): void {
    if (event.kind !== DELETION_KIND) {
      indexEvent(event)
      return
    }
    if (yankBy(event) > 0) announceRelease()
  }

  function recordedVerdict(eventId: string): Verdict | undefined {
    if (store.release(eventId)) return { status: 'accepted' }
    const rejection = store.rejection(eventId)
    return rejection && { status: 'rejected', reason: rejection.reason }
  }

  function verdictFor(eventId: string): Verdict | undefined {
    const recorded = recordedVerdict(eventId)
    if (recorded) return recorded
    const [event] = relay.query([{ ids: [eventId] }])
    return event && indexEvent(event)
  }

  // Catch up first, oldest first, so the history rule sees releases in publication order.
  const backlog = relay
    .query([{ kinds: [RELEASE_KIND] }])
    .filter((event) => isReleaseEvent(event) && !store.hasVerdict(event.id))
    .sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id))
  for (const event of backlog) indexEvent(event)
  if (backlog.length > 0) logger.info({ count: backlog.length }, 'indexed stored release events')
  for (const deletion of relay.query([{ kinds: [DELETION_KIND] }])) yankBy(deletion)

  const unsubscribe = relay.onStored(onStored)
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
