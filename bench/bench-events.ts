// Events for the relay benchmark, all signed before any timing starts: valid release events of
// about 1 KB (what a registry accepts), and the rows of a large store for the query phase.
import { generateSecretKey } from 'nostr-tools/pure'
import type { NostrEvent } from 'nostr-tools/pure'
import {
  MARKETPLACE_TAG,
  RELEASE_D_PREFIX,
  RELEASE_KIND,
  releaseEventTemplate,
} from '../src/release/release-event.js'
import { makeFastSigner } from '../test/support/fast-sign.js'
import { makeKeys, manifestDocument, signRelease } from '../test/support/release-fixtures.js'

/** `perPublisher` releases (each its own app) for each of `publishers` publishers. */
export function makeReleaseEvents(publishers: number, perPublisher: number): NostrEvent[][] {
  const createdAt = Math.floor(Date.now() / 1000) - 60
  return Array.from({ length: publishers }, (_, publisher) => {
    const keys = makeKeys()
    const signer = makeFastSigner(keys.nostr.secretKey)
    return Array.from({ length: perPublisher }, (_, index) => {
      const app = `bench-${publisher}-${index}`
      const manifest = manifestDocument(app, '1.0.0')
      const release = signRelease(keys, [manifest])
      return signer.sign(releaseEventTemplate(release, createdAt))
    })
  })
}

// Kinds of the large store: releases carry the marketplace tag, and so do some events of other
// kinds, so the index must use the kind as well as the tag.
const STORE_KINDS = [RELEASE_KIND, 1, 30382, 1985]
const FILLER = 'x'.repeat(700)

/** Calls `take` with batches of signed events until `count` were made, spread over a year. */
export function makeStoreEvents(count: number, take: (events: NostrEvent[]) => void): void {
  const signers = Array.from({ length: 100 }, () => makeFastSigner(generateSecretKey()))
  const newest = Math.floor(Date.now() / 1000) - 60
  let batch: NostrEvent[] = []
  for (let index = 0; index < count; index += 1) {
    const kind = STORE_KINDS[index % STORE_KINDS.length] as number
    const signer = signers[index % signers.length] as (typeof signers)[number]
    const topic = index % 8 === 3 ? 'other-topic' : MARKETPLACE_TAG
    const tags = [
      ['d', `${RELEASE_D_PREFIX}store-${index}`],
      ['t', topic],
      ['version', '1.0.0'],
    ]
    const createdAt = newest - Math.floor(((count - index) * 31_536_000) / count)
    batch.push(signer.sign({ kind, created_at: createdAt, tags, content: FILLER }))
    if (batch.length === 10_000) {
      take(batch)
      batch = []
    }
  }
  if (batch.length > 0) take(batch)
}
