// verifyRelease (shape, proof, manifests, artifact references) on signed fixtures, good and
// tampered; the event that carries a release is in release-event.test.ts.
import { describe, expect, it } from 'vitest'

import { verifyRelease } from '../../../src/release/release-document.js'
import {
  IMAGE_ARTIFACT,
  makeKeys,
  manifestDocument,
  signRelease,
} from '../../support/release-fixtures.js'

const OTHER = 'd'.repeat(64)

describe('verifyRelease', () => {
  const keys = makeKeys()
  const web = manifestDocument('web', '1.0.0')

  it('accepts a signed release and returns normalized manifests, primary first', () => {
    const release = signRelease(keys, [
      manifestDocument('web', '1.2.0', { dependencies: [{ app_id: 'db' }] }),
      manifestDocument('db', '16.0.0'),
    ])
    const verified = verifyRelease(release)
    expect(verified.manifests.map((m) => m.id)).toEqual(['web', 'db'])
    expect(verified.manifests[0]?.security.readonly_root).toBe(true)
  })

  it.each([
    [
      'a manifest changed after signing',
      (r: any) => (r.manifests[0].app.name = 'Evil'),
      /signature does not verify/,
    ],
    [
      'another version than the primary',
      (r: any) => (r.version = '9.9.9'),
      /signature does not verify/,
    ],
    ['no proof', (r: any) => delete r.proof, /has no proof/],
    [
      'a bad author did',
      (r: any) => (r.author.did = 'did:web:example.org'),
      /author.did: must be an Ed25519 did:key/,
    ],
    ['a bad artifact digest', (r: any) => (r.artifacts[0].blake3 = 'xyz'), /artifacts\[0\].blake3/],
    [
      'a bad timestamp',
      (r: any) => (r.published_at = 'yesterday'),
      /published_at: must be an RFC 3339/,
    ],
  ])('refuses %s', (_name, mutate, message) => {
    const release = structuredClone(signRelease(keys, [manifestDocument('web', '1.0.0')]))
    mutate(release)
    expect(() => verifyRelease(release)).toThrow(message)
  })

  it('refuses a release signed by another key than author.did', () => {
    const other = makeKeys()
    const release = signRelease(other, [manifestDocument('web', '1.0.0')])
    const forged = { ...release, author: { ...release.author, did: keys.ed25519.did } }
    expect(() => verifyRelease(forged)).toThrow(/signature does not verify/)
  })

  it.each([
    [
      'a privileged container',
      { container: { image: `blake3:${'b'.repeat(64)}`, privileged: true } },
      /privileged/,
    ],
    ['a host device', { devices: ['/dev/sda'] }, /devices/],
    [
      'a bind mount outside its data directory',
      { volumes: [{ type: 'bind', source: '/home/user', target: '/data' }] },
      /bind source must be under/,
    ],
  ])('refuses a properly signed release whose manifest asks for %s', (_n, extra, message) => {
    const release = signRelease(keys, [manifestDocument('web', '1.0.0', extra)])
    expect(() => verifyRelease(release)).toThrow(message)
  })

  it('refuses a blake3 image that is not among the artifacts', () => {
    const release = signRelease(keys, [manifestDocument('web', '1.0.0')], [])
    expect(() => verifyRelease(release)).toThrow(/not among the release artifacts/)
  })

  it('matches hook sources and artifact names with ./ on either side', () => {
    const hook = (src: string) => ({
      hooks: { post_install: [{ copy_from_host: { src, dest: '/srv/f.txt' } }] },
    })
    const artifact = (name: string) => ({ ...IMAGE_ARTIFACT, name, blake3: OTHER })
    const written = signRelease(
      keys,
      [manifestDocument('web', '1.0.0', hook('./f.txt'))],
      [IMAGE_ARTIFACT, artifact('f.txt')],
    )
    const named = signRelease(
      keys,
      [manifestDocument('web', '1.0.0', hook('f.txt'))],
      [IMAGE_ARTIFACT, artifact('./f.txt')],
    )
    const missing = signRelease(
      keys,
      [manifestDocument('web', '1.0.0', hook('g.txt'))],
      [IMAGE_ARTIFACT, artifact('f.txt')],
    )
    expect(() => verifyRelease(written)).not.toThrow()
    expect(() => verifyRelease(named)).not.toThrow()
    expect(() => verifyRelease(missing)).toThrow(
      'release.manifests[0].app.hooks.post_install[0].copy_from_host.src: ' +
        '"g.txt" is not among the release artifacts',
    )
  })

  it.each([
    ['/etc/passwd', '"/etc/passwd" must be a relative path inside the release'],
    ['a/../../x', '"a/../../x" must be a relative path inside the release'],
    ['..', '".." must be a relative path inside the release'],
  ])('refuses the artifact name %s', (name, message) => {
    const extra = { ...IMAGE_ARTIFACT, name, blake3: OTHER }
    const release = signRelease(keys, [web], [IMAGE_ARTIFACT, extra])
    expect(() => verifyRelease(release)).toThrow(`release.artifacts[1].name: ${message}`)
  })

  it('refuses two artifacts under one name', () => {
    const twin = { ...IMAGE_ARTIFACT, name: './image.tar', blake3: OTHER }
    const release = signRelease(keys, [web], [IMAGE_ARTIFACT, twin])
    expect(() => verifyRelease(release)).toThrow(
      'release.artifacts[1].name: "./image.tar" is already the name of artifacts[0]',
    )
  })

  it('refuses a primary manifest whose id differs from the release app', () => {
    const release = signRelease(keys, [manifestDocument('web', '1.0.0')])
    const { proof: _p, ...body } = release
    const resigned = signRelease(keys, body.manifests)
    expect(verifyRelease(resigned).release.app).toBe('web')
  })
})
