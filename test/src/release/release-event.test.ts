// judgeReleaseEvent on signed fixtures: the event built for a release, the tag set of DESIGN.md §4
// (each required tag missing, repeated, malformed or disagreeing with the document), unknown tags.
import { describe, expect, it } from 'vitest'

import { signNostrEvent, type NostrEvent } from '../../../src/nostr/event.js'
import type { ReleaseDocument } from '../../../src/release/release-document.js'
import {
  buildReleaseEvent,
  isReleaseEvent,
  judgeReleaseEvent,
} from '../../../src/release/release-event.js'
import {
  IMAGE_ARTIFACT,
  makeKeys,
  manifestDocument,
  signRelease,
} from '../../support/release-fixtures.js'

const keys = makeKeys()
const release = signRelease(keys, [manifestDocument('web', '1.0.0')])
const B3 = IMAGE_ARTIFACT.blake3
const SHA = IMAGE_ARTIFACT.sha256
const OTHER = 'd'.repeat(64)

/** The release's own event with its tags changed by `edit`, signed again by the author. */
function eventWith(
  edit: (tags: string[][]) => string[][],
  document: ReleaseDocument = release,
): NostrEvent {
  const built = buildReleaseEvent(document, keys.nostr.secretKey, 1_800_000_000)
  return signNostrEvent(
    {
      kind: built.kind,
      created_at: built.created_at,
      tags: edit(built.tags),
      content: built.content,
    },
    keys.nostr.secretKey,
  )
}

/** The rejection reason, exactly; 'accepted' when the event passes. */
function reasonOf(event: unknown): string {
  try {
    judgeReleaseEvent(event)
    return 'accepted'
  } catch (error) {
    return (error as Error).message
  }
}

const add =
  (...extra: string[][]) =>
  (tags: string[][]): string[][] => [...tags, ...extra]
const drop =
  (name: string) =>
  (tags: string[][]): string[][] =>
    tags.filter((tag) => tag[0] !== name)
const replace =
  (name: string, tag: string[]) =>
  (tags: string[][]): string[][] =>
    tags.map((old) => (old[0] === name ? tag : old))

describe('judgeReleaseEvent', () => {
  it('accepts the event built for a release', () => {
    const event = buildReleaseEvent(release, keys.nostr.secretKey)
    expect(event.tags).toEqual([
      ['d', 'archipelago-app:web'],
      ['t', 'archipelago-marketplace'],
      ['version', '1.0.0'],
      ['did', keys.ed25519.did],
      ['blake3', B3],
      ['x', SHA],
    ])
    expect(judgeReleaseEvent(event).release.app).toBe('web')
  })

  it.each<[string, (tags: string[][]) => string[][]]>([
    [
      'unknown tag names, whatever their shape (NIP-01 readers ignore them)',
      add(['alt', 'An app release'], ['client', 'archy'], ['e', OTHER, 'wss://r', 'root'], []),
    ],
    ['tag names in another case, which are other tags', add(['D', 'x'], ['Version', '9'])],
    ['other hashtags beside the marketplace one (NIP-24)', add(['t', 'photos'], ['t', 'media'])],
    ['the tags in any order', (tags) => [...tags].reverse()],
  ])('accepts %s', (_name, edit) => {
    expect(judgeReleaseEvent(eventWith(edit)).release.app).toBe('web')
  })

  it('accepts a blake3 and an x tag per artifact, twice for two artifacts with one digest', () => {
    const twin = { ...IMAGE_ARTIFACT, name: 'copy.tar' }
    const twins = signRelease(keys, [manifestDocument('web', '1.0.0')], [IMAGE_ARTIFACT, twin])
    expect(judgeReleaseEvent(eventWith((tags) => tags, twins)).release.artifacts).toHaveLength(2)
    expect(reasonOf(eventWith(drop('x'), twins))).toBe(
      `event.tags.x: missing for artifacts[0] ("image.tar"); it must be ["x", "${SHA}"], ` +
        'one per artifact',
    )
    const once = (tags: string[][]): string[][] => {
      const index = tags.findIndex((tag) => tag[0] === 'blake3')
      return tags.filter((_tag, at) => at !== index)
    }
    expect(reasonOf(eventWith(once, twins))).toBe(
      `event.tags.blake3: missing for artifacts[1] ("copy.tar"); it must be ["blake3", "${B3}"], ` +
        'one per artifact',
    )
  })

  it('accepts a release without artifacts and no digest tags, and refuses a stray one', () => {
    const image = `ghcr.io/example/web:1.0.0@sha256:${'a'.repeat(64)}`
    const bare = signRelease(keys, [manifestDocument('web', '1.0.0', { container: { image } })], [])
    expect(judgeReleaseEvent(eventWith((tags) => tags, bare)).release.artifacts).toEqual([])
    expect(reasonOf(eventWith(add(['x', SHA]), bare))).toBe(
      `event.tags.x: ${SHA} is not the SHA-256 digest of an artifact of the release`,
    )
  })

  // Built tags: [0] d, [1] t, [2] version, [3] did, [4] blake3, [5] x; added ones start at [6].
  it.each<[string, (tags: string[][]) => string[][], string]>([
    [
      'a second d tag',
      add(['d', 'archipelago-app:web']),
      'event.tags.d: must appear once; tags[0] and tags[6] both have it',
    ],
    [
      'a second d tag with another app',
      add(['d', 'archipelago-app:other']),
      'event.tags.d: must appear once; tags[0] and tags[6] both have it',
    ],
    [
      'a d tag with an extra element',
      replace('d', ['d', 'archipelago-app:web', 'extra']),
      'event.tags.d: tags[0] has 3 elements; it must be ["d", <value>]',
    ],
    [
      'a d tag whose app id is not a DNS label',
      replace('d', ['d', 'archipelago-app:Web_App']),
      'event.tags.d: in tags[0], "Web_App" is not a lowercase kebab-case DNS label ' +
        '(a-z, 0-9 and single hyphens, 1-63 characters)',
    ],
    [
      'a d tag naming another app than the document',
      replace('d', ['d', 'archipelago-app:other']),
      'event.tags.d: must be "archipelago-app:web"',
    ],
    ['no t tag', drop('t'), 'event.tags.t: must include ["t", "archipelago-marketplace"]'],
    [
      'only another hashtag',
      replace('t', ['t', 'photos']),
      'event.tags.t: must include ["t", "archipelago-marketplace"]',
    ],
    [
      'the marketplace hashtag twice',
      add(['t', 'archipelago-marketplace']),
      'event.tags.t: "archipelago-marketplace" must appear once; ' +
        'tags[1] and tags[6] both have it',
    ],
    ['an empty hashtag', add(['t', '']), 'event.tags.t: in tags[6], the value is empty'],
    [
      'a t tag without a value',
      add(['t']),
      'event.tags.t: tags[6] has 1 element; it must be ["t", <value>]',
    ],
    [
      'no version tag',
      drop('version'),
      'event.tags.version: is missing; it must be ["version", <release version>]',
    ],
    [
      'a second version tag with the same value',
      add(['version', '1.0.0']),
      'event.tags.version: must appear once; tags[2] and tags[6] both have it',
    ],
    [
      'a version that is not SemVer 2.0.0',
      replace('version', ['version', 'v1.0.0']),
      'event.tags.version: in tags[2], "v1.0.0" is not a SemVer 2.0.0 version (e.g. 1.4.2)',
    ],
    [
      'a version of 300 characters',
      replace('version', ['version', '1.0.0-' + 'a'.repeat(294)]),
      'event.tags.version: in tags[2], the value is 300 characters long; at most 256 are allowed',
    ],
    [
      'a version other than the document',
      replace('version', ['version', '2.0.0']),
      'event.tags.version: must equal release version "1.0.0"',
    ],
    [
      'a version tag without a value',
      replace('version', ['version']),
      'event.tags.version: tags[2] has 1 element; it must be ["version", <value>]',
    ],
    ['no did tag', drop('did'), 'event.tags.did: is missing; it must be ["did", <author did>]'],
    [
      'a second did tag',
      add(['did', makeKeys().ed25519.did]),
      'event.tags.did: must appear once; tags[3] and tags[6] both have it',
    ],
    [
      'a did that is not an Ed25519 did:key',
      replace('did', ['did', 'did:web:example.org']),
      'event.tags.did: in tags[3], "did:web:example.org" is not an Ed25519 did:key',
    ],
    [
      "another key's did",
      replace('did', ['did', makeKeys().ed25519.did]),
      'event.tags.did: must equal release author.did',
    ],
    [
      'no blake3 tag',
      drop('blake3'),
      'event.tags.blake3: missing for artifacts[0] ("image.tar"); ' +
        `it must be ["blake3", "${B3}"], one per artifact`,
    ],
    [
      'a blake3 tag for something else',
      add(['blake3', OTHER]),
      `event.tags.blake3: ${OTHER} is not the BLAKE3-256 digest of an artifact of the release`,
    ],
    [
      'a blake3 tag twice for one artifact',
      add(['blake3', B3]),
      `event.tags.blake3: ${B3} is listed 2 times, but only 1 artifact(s) of the release have it`,
    ],
    [
      'an uppercase blake3 digest',
      replace('blake3', ['blake3', B3.toUpperCase()]),
      `event.tags.blake3: in tags[4], "${B3.toUpperCase()}" is not a BLAKE3-256 digest ` +
        '(64 lowercase hex)',
    ],
    [
      'a blake3 tag with an extra element',
      replace('blake3', ['blake3', B3, 'image.tar']),
      'event.tags.blake3: tags[4] has 3 elements; it must be ["blake3", <value>]',
    ],
    [
      'the SHA-256 in the blake3 tag',
      replace('blake3', ['blake3', SHA]),
      'event.tags.blake3: missing for artifacts[0] ("image.tar"); ' +
        `it must be ["blake3", "${B3}"], one per artifact`,
    ],
    [
      'no x tag',
      drop('x'),
      `event.tags.x: missing for artifacts[0] ("image.tar"); it must be ["x", "${SHA}"], ` +
        'one per artifact',
    ],
    [
      'an x tag for something else',
      add(['x', OTHER]),
      `event.tags.x: ${OTHER} is not the SHA-256 digest of an artifact of the release`,
    ],
    [
      'an x digest of 63 characters',
      replace('x', ['x', SHA.slice(1)]),
      `event.tags.x: in tags[5], "${SHA.slice(1)}" is not a SHA-256 digest (64 lowercase hex)`,
    ],
  ])('refuses %s', (_name, edit, message) => {
    expect(reasonOf(eventWith(edit))).toBe(message)
  })

  it('refuses an event signed by a Nostr key other than the author', () => {
    const event = buildReleaseEvent(release, makeKeys().nostr.secretKey)
    expect(reasonOf(event)).toBe('event.pubkey: does not equal release author.nostr_pubkey')
  })

  it('refuses content that is not JSON and an event whose id was altered', () => {
    const good = buildReleaseEvent(release, keys.nostr.secretKey)
    const event = signNostrEvent(
      { kind: 30078, created_at: 1, tags: good.tags, content: '{' },
      keys.nostr.secretKey,
    )
    expect(reasonOf(event)).toBe('event.content: is not JSON')
    expect(reasonOf({ ...good, created_at: good.created_at + 1 })).toBe(
      'event.id: does not match the event content',
    )
  })

  it.each([
    ['another kind', 1, [['d', 'archipelago-app:web']]],
    ['another d namespace', 30078, [['d', 'web-settings']]],
    [
      'a release d tag after another d tag',
      30078,
      [
        ['d', 'x'],
        ['d', 'archipelago-app:web'],
      ],
    ],
  ])('refuses an event outside the release namespace: %s', (_name, kind, tags) => {
    const event = signNostrEvent(
      { kind, created_at: 1, tags, content: release.app },
      keys.nostr.secretKey,
    )
    expect(isReleaseEvent(event)).toBe(false)
    expect(reasonOf(event)).toBe('event: is not a kind 30078 archipelago-app release event')
  })
})
