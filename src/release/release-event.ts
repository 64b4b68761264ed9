// Release events (DESIGN.md §4, "Release event"): kind 30078 addressed by
// `archipelago-app:<app>`, whose content is the signed release document. Building one, and judging
// one as a registry does: event signature, pubkey = author, tags = document fields, release valid.
import { ValidationError, VerificationError } from '../errors.js'
import { firstTagValue, signNostrEvent, tagValues, type NostrEvent } from '../nostr/event.js'
import { verifyNostrEvent } from '../nostr/event.js'
import { verifyRelease, type ReleaseDocument, type VerifiedRelease } from './release-document.js'

export const RELEASE_KIND = 30078
export const RELEASE_D_PREFIX = 'archipelago-app:'
export const MARKETPLACE_TAG = 'archipelago-marketplace'

/** Builds and signs the release event for a signed release document. */
export function buildReleaseEvent(
  release: ReleaseDocument,
  nostrSecret: Uint8Array,
  createdAt = Math.floor(Date.now() / 1000),
): NostrEvent {
  const tags = [
    ['d', RELEASE_D_PREFIX + release.app],
    ['t', MARKETPLACE_TAG],
    ['version', release.version],
    ['did', release.author.did],
    ...release.artifacts.flatMap((artifact) => [
      ['blake3', artifact.blake3],
      ['x', artifact.sha256],
    ]),
  ]
  return signNostrEvent(
    { kind: RELEASE_KIND, created_at: createdAt, tags, content: JSON.stringify(release) },
    nostrSecret,
  )
}

/** True when an event is in the release namespace (kind 30078, d = archipelago-app:...). */
export function isReleaseEvent(event: { kind: number; tags: string[][] }): boolean {
  return (
    event.kind === RELEASE_KIND && (firstTagValue(event, 'd') ?? '').startsWith(RELEASE_D_PREFIX)
  )
}

/**
 * Judges a release event completely, except for version history (the registry's store knows it).
 * Throws a ValidationError or VerificationError whose message is the rejection reason.
 */
export function judgeReleaseEvent(value: unknown): VerifiedRelease & { event: NostrEvent } {
  const event = verifyNostrEvent(value)
  if (!isReleaseEvent(event)) {
    throw new ValidationError('event', 'is not a kind 30078 archipelago-app release event')
  }
  let document: unknown
  try {
    document = JSON.parse(event.content)
  } catch {
    throw new ValidationError('event.content', 'is not JSON')
  }
  const verified = verifyRelease(document)
  const { release } = verified
  if (event.pubkey !== release.author.nostr_pubkey) {
    throw new VerificationError('event.pubkey: does not equal release author.nostr_pubkey')
  }
  checkTags(event, release)
  return { ...verified, event }
}

function checkTags(event: NostrEvent, release: ReleaseDocument): void {
  if (firstTagValue(event, 'd') !== RELEASE_D_PREFIX + release.app) {
    throw new ValidationError('event.tags.d', `must be "${RELEASE_D_PREFIX}${release.app}"`)
  }
  if (!tagValues(event, 't').includes(MARKETPLACE_TAG)) {
    throw new ValidationError('event.tags.t', `must include "${MARKETPLACE_TAG}"`)
  }
  if (firstTagValue(event, 'version') !== release.version) {
    throw new ValidationError(
      'event.tags.version',
      `must equal release version "${release.version}"`,
    )
  }
  if (firstTagValue(event, 'did') !== release.author.did) {
    throw new ValidationError('event.tags.did', 'must equal release author.did')
  }
  const blake3 = [...tagValues(event, 'blake3')].sort()
  const sha256 = [...tagValues(event, 'x')].sort()
  const wantBlake3 = release.artifacts.map((artifact) => artifact.blake3).sort()
  const wantSha256 = release.artifacts.map((artifact) => artifact.sha256).sort()
  if (blake3.join() !== wantBlake3.join()) {
    throw new ValidationError('event.tags.blake3', 'must list exactly the artifacts of the release')
  }
  if (sha256.join() !== wantSha256.join()) {
    throw new ValidationError('event.tags.x', 'must list exactly the artifacts of the release')
  }
}
