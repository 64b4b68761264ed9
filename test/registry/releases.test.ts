// Releases through a real node: a valid release event published over a real WebSocket is verified,
// listed and catalogued; each way a release can be wrong is rejected with its reason, visibly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { generateEd25519 } from '../../src/identity/did-key.js'
import type { KeyPairs } from '../../src/identity/key-file.js'
import { signNostrEvent, type NostrEvent } from '../../src/nostr/event.js'
import { signDocument } from '../../src/proof/data-integrity.js'
import { verifyCatalog } from '../../src/release/catalog.js'
import type { ReleaseDocument } from '../../src/release/release-document.js'
import { buildReleaseEvent } from '../../src/release/release-event.js'
import { makeKeys, manifestDocument, signRelease } from '../support/release-fixtures.js'
import { makeDataDir, startTestNode, waitForCatalog, type TestNode } from './harness.js'

let clock = Math.floor(Date.now() / 1000) - 3600
/** Each event a later second, so the relay's addressable replacement always stores it. */
function nextSecond(): number {
  return ++clock
}

function releaseEvent(keys: KeyPairs, release: ReleaseDocument): NostrEvent {
  return buildReleaseEvent(release, keys.nostr.secretKey, nextSecond())
}

/** Re-signs a release event with its tags changed by `edit`. */
function withTags(keys: KeyPairs, event: NostrEvent, edit: (tags: string[][]) => string[][]) {
  const { kind, content, tags } = event
  return signNostrEvent(
    { kind, content, tags: edit(tags), created_at: nextSecond() },
    keys.nostr.secretKey,
  )
}

describe('registry indexer over a real relay', () => {
  const data = makeDataDir()
  const publisher = makeKeys()
  let node: TestNode

  beforeAll(async () => {
    node = await startTestNode(data.dir)
  })
  afterAll(async () => {
    await node.close()
    data.remove()
  })

  /** The relay answers OK only after the registry has judged the event, so no waiting. */
  async function verdictOf(event: NostrEvent): Promise<Record<string, unknown>> {
    const { status, body } = await node.getJson(`/v1/events/${event.id}/verdict`)
    expect(status).toBe(200)
    return body
  }

  it('verifies a valid release and shows it in /v1/apps, the app page and the catalog', async () => {
    const release = signRelease(publisher, [manifestDocument('photo-vault', '1.2.0')])
    const event = releaseEvent(publisher, release)
    await node.publish(event)
    expect(await verdictOf(event)).toEqual({ status: 'accepted' })

    const catalog = await waitForCatalog(node, 2)
    const verified = verifyCatalog(catalog, { pinnedDid: node.did })
    expect(verified.catalog.apps).toEqual([
      {
        id: 'photo-vault',
        publisher: release.author,
        version: '1.2.0',
        event_id: event.id,
        release,
        trust: { score: null, band: 'unscored' },
      },
    ])

    const apps = await node.getJson('/v1/apps')
    expect(apps.body.apps).toEqual([
      {
        id: 'photo-vault',
        name: 'photo-vault',
        description: null,
        version: '1.2.0',
        publisher: release.author,
        trust: { score: null, band: 'unscored' },
        event_id: event.id,
        published_at: release.published_at,
      },
    ])

    const page = await node.getJson('/v1/apps/photo-vault')
    expect(page.status).toBe(200)
    expect(page.body.entries).toHaveLength(1)
    expect(page.body.releases).toMatchObject([{ event_id: event.id, version: '1.2.0' }])
    const releases = await node.getJson('/v1/apps/photo-vault/releases')
    expect(releases.body.releases).toMatchObject([{ event_id: event.id, release }])
  })

  // Each wrong event carries a higher version than the one before it: the relay keeps one event
  // per address and refuses a version tag not higher than the stored one (DESIGN.md §4).
  let patch = 0
  const nextVersion = (): string => `2.0.${patch++}`
  const tamperedProof = (): ReleaseDocument => {
    const version = nextVersion()
    const release = signRelease(publisher, [manifestDocument('photo-vault', version)])
    return { ...release, manifests: [manifestDocument('photo-vault', version, { name: 'Evil' })] }
  }
  const cases: [string, () => NostrEvent, RegExp][] = [
    [
      'an event signed by another Nostr key than the author',
      () => {
        const release = signRelease(publisher, [manifestDocument('photo-vault', nextVersion())])
        return buildReleaseEvent(release, makeKeys().nostr.secretKey, nextSecond())
      },
      /^event\.pubkey: does not equal release author\.nostr_pubkey$/,
    ],
    [
      'an artifact tag missing from the event',
      () => {
        const release = signRelease(publisher, [manifestDocument('photo-vault', nextVersion())])
        return withTags(publisher, releaseEvent(publisher, release), (tags) =>
          tags.filter((tag) => tag[0] !== 'x'),
        )
      },
      /^event\.tags\.x: missing for artifacts\[0\] \("image\.tar"\); it must be \["x", "c{64}"\]/,
    ],
    [
      'a second version tag',
      () => {
        const version = nextVersion()
        const release = signRelease(publisher, [manifestDocument('photo-vault', version)])
        return withTags(publisher, releaseEvent(publisher, release), (tags) => [
          ...tags,
          ['version', version],
        ])
      },
      /^event\.tags\.version: must appear once; tags\[2\] and tags\[6\] both have it$/,
    ],
    [
      'a proof made by a key other than author.did',
      () => {
        const release = signRelease(publisher, [manifestDocument('photo-vault', nextVersion())])
        const { proof: _proof, ...body } = release
        const forged = signDocument(body, generateEd25519()) as ReleaseDocument
        return releaseEvent(publisher, forged)
      },
      /^release\.proof: signed by did:key:\S+, not by author\.did$/,
    ],
    [
      'a manifest altered after signing',
      () => releaseEvent(publisher, tamperedProof()),
      /^release: proof: signature does not verify/,
    ],
    [
      'an invalid manifest (a privileged container)',
      () =>
        releaseEvent(
          publisher,
          signRelease(publisher, [
            manifestDocument('photo-vault', nextVersion(), { privileged: true }),
          ]),
        ),
      /^release\.manifests: .*privileged/,
    ],
    [
      'a version tag that differs from the document',
      () => {
        const release = signRelease(publisher, [manifestDocument('photo-vault', nextVersion())])
        return withTags(publisher, releaseEvent(publisher, release), (tags) =>
          tags.map((tag) => (tag[0] === 'version' ? ['version', '9.9.9'] : tag)),
        )
      },
      /^event\.tags\.version: must equal release version "2\.0\.\d+"$/,
    ],
  ]

  it.each(cases)('rejects %s and records the reason', async (_name, build, reason) => {
    const event = build()
    await node.publish(event)
    const verdict = await verdictOf(event)
    expect(verdict.status).toBe('rejected')
    expect(verdict.reason).toMatch(reason)

    const all = await node.getJson('/v1/rejections')
    expect(all.body.rejections).toContainEqual(
      expect.objectContaining({
        event_id: event.id,
        pubkey: event.pubkey,
        app_id: 'photo-vault',
        reason: verdict.reason,
      }),
    )
    const page = await node.getJson('/v1/apps/photo-vault')
    expect(page.body.rejections).toContainEqual(expect.objectContaining({ event_id: event.id }))
  })

  // The registry's own history rule (test/registry/indexer.test.ts) never sees these: the relay
  // refuses a version not higher than the event it stores at the address.
  it.each(['1.1.0', '1.2.0', '9.9.9'])('has the relay refuse version %s', async (version) => {
    const event = releaseEvent(
      publisher,
      signRelease(publisher, [manifestDocument('photo-vault', version)]),
    )
    await expect(node.publish(event)).rejects.toThrow(
      `invalid: version ${version} is not higher than 9.9.9, stored at this address`,
    )
    expect((await node.getJson(`/v1/events/${event.id}/verdict`)).status).toBe(404)
  })

  it('keeps the verified release in the catalog after the rejections', async () => {
    const { body } = await node.getJson('/v1/catalog')
    const apps = (body as { apps: { version: string }[] }).apps
    expect(apps.map((entry) => entry.version)).toEqual(['1.2.0'])
  })

  it('gives a bare id to the earliest publisher and an address to a later one', async () => {
    const other = makeKeys()
    const before = ((await node.getJson('/v1/catalog')).body as { sequence: number }).sequence
    const event = releaseEvent(
      other,
      signRelease(other, [manifestDocument('photo-vault', '5.0.0')]),
    )
    await node.publish(event)
    expect(await verdictOf(event)).toEqual({ status: 'accepted' })
    const catalog = await waitForCatalog(node, before + 1)
    expect(catalog.apps.map((entry) => [entry.version, entry.address])).toEqual([
      ['1.2.0', undefined],
      ['5.0.0', `photo-vault@${other.ed25519.did}`],
    ])
    const apps = await node.getJson('/v1/apps')
    expect((apps.body.apps as { address?: string }[])[1]!.address).toBe(
      `photo-vault@${other.ed25519.did}`,
    )

    // The address also names that publisher's app on the API.
    const one = await node.getJson(`/v1/apps/photo-vault@${other.ed25519.did}`)
    expect(one.status).toBe(200)
    const body = one.body as { entries: { version: string }[]; releases: { version: string }[] }
    expect(body.entries.map((entry) => entry.version)).toEqual(['5.0.0'])
    expect(body.releases.map((release) => release.version)).toEqual(['5.0.0'])
    const bad = await node.getJson('/v1/apps/photo-vault@did:web:example.org')
    expect(bad.status).toBe(400)
  })
})

describe('registry indexer at start-up', () => {
  it('judges release events already in the relay that have no verdict yet', async () => {
    const data = makeDataDir()
    const publisher = makeKeys()
    try {
      let node = await startTestNode(data.dir)
      const event = releaseEvent(
        publisher,
        signRelease(publisher, [manifestDocument('late-app', '1.0.0')]),
      )
      await node.publish(event)
      await waitForCatalog(node, 2)
      await node.close()

      // Drop the registry's own database: the relay still holds the event.
      const { rmSync } = await import('node:fs')
      for (const suffix of ['', '-wal', '-shm']) {
        rmSync(`${data.dir}/registry.sqlite${suffix}`, { force: true })
      }
      node = await startTestNode(data.dir)
      const { body } = await node.getJson(`/v1/events/${event.id}/verdict`)
      expect(body).toEqual({ status: 'accepted' })
      expect((await node.getJson('/v1/apps')).body.apps).toHaveLength(1)
      await node.close()
    } finally {
      data.remove()
    }
  })
})
