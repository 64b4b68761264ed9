// Release events (DESIGN.md §4, "Release event"): kind 30078 addressed by
// `archipelago-app:<app>`, whose content is the signed release document. Building one, and judging
// one as a registry does: event signature, pubkey = author, tags = document fields, release valid.
import { isHexDigest } from '../digest/blake3.js'
import { ValidationError, VerificationError } from '../errors.js'
import { isEd25519DidKey } from '../identity/did-key.js'
import { checkAppId, checkVersion } from '../manifest/formats.js'
import { firstTagValue, signNostrEvent, type NostrEvent } from '../nostr/event.js'
import type { EventTemplate } from 'nostr-tools'
import { verifyNostrEvent } from '../nostr/event.js'
import {
  verifyRelease,
  type ReleaseArtifact,
  type ReleaseDocument,
  type VerifiedRelease,
} from './release-document.js'

export const RELEASE_KIND = 30078
export const RELEASE_D_PREFIX = 'archipelago-app:'
export const MARKETPLACE_TAG = 'archipelago-marketplace'

/** The unsigned release event (tags and content) for a signed release document. */
export function releaseEventTemplate(release: ReleaseDocument, createdAt: number): EventTemplate {
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
  return { kind: RELEASE_KIND, created_at: createdAt, tags, content: JSON.stringify(release) }
}

/** Builds and signs the release event for a signed release document. */
export function buildReleaseEvent(
  release: ReleaseDocument,
  nostrSecret: Uint8Array,
  createdAt = Math.floor(Date.now() / 1000),
): NostrEvent {
  return signNostrEvent(releaseEventTemplate(release, createdAt), nostrSecret)
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
  const tags = readReleaseTags(event)
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
  compareTags(tags, release)
  return { ...verified, event }
}

/** The values of a release event's own tags, each checked for count and form. */
interface ReleaseTags {
  d: string
  version: string
  did: string
  blake3: string[]
  x: string[]
}

type TagName = 't' | keyof ReleaseTags

interface TagRule {
  /** At most one tag of this name. */
  single: boolean
  /** The problem with a value, if any. */
  check: (value: string) => string | undefined
}

/**
 * The release event's tags (DESIGN.md §4): each is `[name, value]`. `d`, `version` and `did`
 * appear once; `t` holds the marketplace hashtag once, beside any other hashtags (NIP-24);
 * `blake3` and `x` appear once per artifact. Tags of other names are ignored, as NIP-01 readers do.
 */
const TAG_RULES: Record<TagName, TagRule> = {
  d: { single: true, check: checkAddress },
  t: { single: false, check: (value) => (value === '' ? 'the value is empty' : undefined) },
  version: { single: true, check: checkVersion },
  did: { single: true, check: checkDid },
  blake3: { single: false, check: (value) => checkDigest(value, 'BLAKE3-256') },
  x: { single: false, check: (value) => checkDigest(value, 'SHA-256') },
}

/** Longer than any valid value (semver's own limit), so a reason never quotes a huge one. */
const MAX_TAG_VALUE = 256

/** Reads the release tags, refusing a required one missing, repeated or malformed. */
function readReleaseTags(event: NostrEvent): ReleaseTags {
  const found = new Map<TagName, { index: number; value: string }[]>()
  event.tags.forEach((tag, index) => {
    const name = tag[0] as TagName
    if (!Object.hasOwn(TAG_RULES, name)) return
    const rule = TAG_RULES[name]
    const path = `event.tags.${name}`
    if (tag.length !== 2) {
      const count = `${tag.length} element${tag.length === 1 ? '' : 's'}`
      throw new ValidationError(
        path,
        `tags[${index}] has ${count}; it must be ["${name}", <value>]`,
      )
    }
    const seen = found.get(name) ?? []
    if (rule.single && seen.length > 0) {
      const both = `tags[${seen[0]!.index}] and tags[${index}] both have it`
      throw new ValidationError(path, `must appear once; ${both}`)
    }
    const value = tag[1]!
    const problem =
      value.length > MAX_TAG_VALUE
        ? `the value is ${value.length} characters long; at most ${MAX_TAG_VALUE} are allowed`
        : rule.check(value)
    if (problem !== undefined) throw new ValidationError(path, `in tags[${index}], ${problem}`)
    found.set(name, [...seen, { index, value }])
  })

  const values = (name: TagName): string[] => (found.get(name) ?? []).map((tag) => tag.value)
  const single = (name: 'd' | 'version' | 'did', shape: string): string => {
    const [value] = values(name)
    if (value === undefined) {
      throw new ValidationError(
        `event.tags.${name}`,
        `is missing; it must be ["${name}", ${shape}]`,
      )
    }
    return value
  }
  const marketplace = found.get('t')?.filter((tag) => tag.value === MARKETPLACE_TAG) ?? []
  if (marketplace.length === 0) {
    throw new ValidationError('event.tags.t', `must include ["t", "${MARKETPLACE_TAG}"]`)
  }
  if (marketplace.length > 1) {
    throw new ValidationError(
      'event.tags.t',
      `"${MARKETPLACE_TAG}" must appear once; ` +
        `tags[${marketplace[0]!.index}] and tags[${marketplace[1]!.index}] both have it`,
    )
  }
  return {
    d: single('d', `"${RELEASE_D_PREFIX}<app id>"`),
    version: single('version', '<release version>'),
    did: single('did', '<author did>'),
    blake3: values('blake3'),
    x: values('x'),
  }
}

/** The tags must say what the signed document says. */
function compareTags(tags: ReleaseTags, release: ReleaseDocument): void {
  if (tags.d !== RELEASE_D_PREFIX + release.app) {
    throw new ValidationError('event.tags.d', `must be "${RELEASE_D_PREFIX}${release.app}"`)
  }
  if (tags.version !== release.version) {
    throw new ValidationError(
      'event.tags.version',
      `must equal release version "${release.version}"`,
    )
  }
  if (tags.did !== release.author.did) {
    throw new ValidationError('event.tags.did', 'must equal release author.did')
  }
  compareDigestTags('blake3', tags.blake3, release.artifacts, 'BLAKE3-256')
  compareDigestTags('x', tags.x, release.artifacts, 'SHA-256')
}

/** One `blake3` (or `x`) tag per artifact of the release, and none for anything else. */
function compareDigestTags(
  name: 'blake3' | 'x',
  values: string[],
  artifacts: ReleaseArtifact[],
  algorithm: string,
): void {
  const digests = artifacts.map((artifact) =>
    name === 'blake3' ? artifact.blake3 : artifact.sha256,
  )
  const unmatched = [...values]
  digests.forEach((digest, index) => {
    const at = unmatched.indexOf(digest)
    if (at === -1) {
      throw new ValidationError(
        `event.tags.${name}`,
        `missing for artifacts[${index}] ("${artifacts[index]!.name}"); ` +
          `it must be ["${name}", "${digest}"], one per artifact`,
      )
    }
    unmatched.splice(at, 1)
  })
  const [extra] = unmatched
  if (extra === undefined) return
  const count = (list: string[]): number => list.filter((value) => value === extra).length
  throw new ValidationError(
    `event.tags.${name}`,
    digests.includes(extra)
      ? `${extra} is listed ${count(values)} times, ` +
          `but only ${count(digests)} artifact(s) of the release have it`
      : `${extra} is not the ${algorithm} digest of an artifact of the release`,
  )
}

function checkAddress(value: string): string | undefined {
  if (!value.startsWith(RELEASE_D_PREFIX)) {
    return `"${value}" does not start with "${RELEASE_D_PREFIX}"`
  }
  return checkAppId(value.slice(RELEASE_D_PREFIX.length))
}

function checkDid(value: string): string | undefined {
  return isEd25519DidKey(value) ? undefined : `"${value}" is not an Ed25519 did:key`
}

function checkDigest(value: string, algorithm: string): string | undefined {
  return isHexDigest(value)
    ? undefined
    : `"${value}" is not a ${algorithm} digest (64 lowercase hex)`
}
