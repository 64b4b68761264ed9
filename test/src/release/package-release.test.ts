// packageRelease on real files in temp folders: which files become artifacts, under
// which names, and how links, missing and `./` paths are handled; verifyRelease agrees.
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { digestFile } from '../../../src/digest/blake3.js'
import { packageRelease } from '../../../src/release/package-release.js'
import { verifyRelease } from '../../../src/release/release-document.js'
import { makeKeys } from '../../support/release-fixtures.js'

type App = Record<string, unknown> & { container: Record<string, unknown> }
type Manifest = Record<string, unknown> | undefined
type CopyStep = { copy_from_host: { src: string } }

const keys = makeKeys()
let dir: string

beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'archy-package-')))
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Writes a file under the temp folder, making its parent folders. */
async function put(path: string, content: string): Promise<string> {
  const full = join(dir, path)
  await mkdir(dirname(full), { recursive: true })
  await writeFile(full, content)
  return full
}

/** Writes a manifest (JSON is YAML) for app `id` whose image is `image`. */
async function putManifest(path: string, id: string, image: string, extra = {}) {
  const app = { id, name: id, version: '1.0.0', container: { image }, ...extra }
  return put(path, JSON.stringify({ app }))
}

const copyHook = (src: string) => ({
  hooks: { post_install: [{ copy_from_host: { src, dest: '/srv/f.txt' } }] },
})

const appOf = (manifest: Manifest) => manifest?.app as App
const imageOf = (manifest: Manifest) => appOf(manifest).container.image
const hookSrcOf = (manifest: Manifest) => {
  const hooks = appOf(manifest).hooks as { post_install: CopyStep[] }
  return hooks.post_install[0]?.copy_from_host.src
}
const namesOf = (release: { artifacts: { name: string }[] }) =>
  release.artifacts.map((artifact) => artifact.name)

describe('packageRelease', () => {
  it('turns an app image and hook source into artifacts with their digests', async () => {
    const image = await put('web/img.tar', 'image bytes')
    await put('web/www/f.txt', 'hook bytes')
    const hook = copyHook('www/f.txt')
    const file = await putManifest('web/app.yaml', 'web', 'file:img.tar', hook)

    const { release, artifacts } = await packageRelease([file], keys)

    const imageDigests = await digestFile(image)
    expect(release.artifacts).toEqual([
      { name: 'img.tar', ...imageDigests, media_type: 'application/x-tar' },
      {
        name: 'www/f.txt',
        ...(await digestFile(join(dir, 'web/www/f.txt'))),
        media_type: 'application/octet-stream',
      },
    ])
    const paths = artifacts.map((artifact) => artifact.path)
    expect(paths).toEqual([image, join(dir, 'web/www/f.txt')])
    expect(imageOf(release.manifests[0])).toBe(`blake3:${imageDigests.blake3}`)
    expect(hookSrcOf(release.manifests[0])).toBe('www/f.txt')
    expect(verifyRelease(release).manifests.map(({ id }) => id)).toEqual(['web'])
  })

  it('ships an image two manifests of one folder share as one artifact', async () => {
    await put('stack/img.tar', 'shared image')
    const web = await putManifest('stack/web.yaml', 'web', 'file:img.tar')
    const db = await putManifest('stack/db.yaml', 'db', 'file:./img.tar')

    const { release } = await packageRelease([web, db], keys)

    expect(namesOf(release)).toEqual(['img.tar'])
    const digest = `blake3:${release.artifacts[0]?.blake3}`
    expect(release.manifests.map(imageOf)).toEqual([digest, digest])
    expect(() => verifyRelease(release)).not.toThrow()
  })

  it('keeps two different img.tar and f.txt of two folders apart', async () => {
    const webImage = await put('stack/web/img.tar', 'web image')
    const dbImage = await put('stack/db/img.tar', 'db image')
    const webHook = await put('stack/web/f.txt', 'web hook')
    const dbHook = await put('stack/db/f.txt', 'db hook')
    const hook = copyHook('f.txt')
    const web = await putManifest('stack/web/app.yaml', 'web', 'file:img.tar', hook)
    const db = await putManifest('stack/db/app.yaml', 'db', 'file:img.tar', hook)

    const { release } = await packageRelease([web, db], keys)

    const digest = async (path: string) => (await digestFile(path)).blake3
    const webDigest = await digest(webImage)
    const dbDigest = await digest(dbImage)
    expect(webDigest).not.toBe(dbDigest)
    expect(release.artifacts.map(({ name, blake3 }) => [name, blake3])).toEqual([
      ['web/img.tar', webDigest],
      ['web/f.txt', await digest(webHook)],
      ['db/img.tar', dbDigest],
      ['db/f.txt', await digest(dbHook)],
    ])
    expect(imageOf(release.manifests[0])).toBe(`blake3:${webDigest}`)
    expect(imageOf(release.manifests[1])).toBe(`blake3:${dbDigest}`)
    expect(release.manifests.map(hookSrcOf)).toEqual(['web/f.txt', 'db/f.txt'])
    expect(() => verifyRelease(release)).not.toThrow()
  })

  it('ships one artifact for identical files under two names', async () => {
    await put('stack/web/img.tar', 'same image')
    await put('stack/db/img.tar', 'same image')
    const web = await putManifest('stack/web/app.yaml', 'web', 'file:img.tar')
    const db = await putManifest('stack/db/app.yaml', 'db', 'file:img.tar')

    const { release } = await packageRelease([web, db], keys)

    expect(namesOf(release)).toEqual(['web/img.tar'])
    expect(imageOf(release.manifests[1])).toBe(imageOf(release.manifests[0]))
  })

  it("names a sub-folder manifest's files from the primary's folder", async () => {
    await put('stack/img.tar', 'web image')
    await put('stack/db/img.tar', 'db image')
    const web = await putManifest('stack/app.yaml', 'web', 'file:img.tar')
    const db = await putManifest('stack/db/app.yaml', 'db', 'file:img.tar')

    const { release } = await packageRelease([web, db], keys)

    expect(namesOf(release)).toEqual(['img.tar', 'db/img.tar'])
  })

  it('signs a ./ hook source under its normalized name, which verifies', async () => {
    await put('web/img.tar', 'image')
    await put('web/f.txt', 'hook')
    const hook = copyHook('./f.txt')
    const file = await putManifest('web/app.yaml', 'web', 'file:./img.tar', hook)

    const { release } = await packageRelease([file], keys)

    expect(namesOf(release)).toEqual(['img.tar', 'f.txt'])
    expect(hookSrcOf(release.manifests[0])).toBe('f.txt')
    expect(verifyRelease(release).manifests[0]?.hooks.post_install).toEqual([
      { copy_from_host: { src: 'f.txt', dest: '/srv/f.txt' } },
    ])
  })

  it('follows a link that stays inside the manifest folder', async () => {
    await put('web/images/real.tar', 'image')
    await symlink(join(dir, 'web/images/real.tar'), join(dir, 'web/img.tar'))
    const file = await putManifest('web/app.yaml', 'web', 'file:img.tar')

    const { release, artifacts } = await packageRelease([file], keys)

    expect(namesOf(release)).toEqual(['img.tar'])
    expect(artifacts[0]?.path).toBe(join(dir, 'web/images/real.tar'))
  })

  it('refuses a hook source that links outside the manifest folder', async () => {
    await put('web/img.tar', 'image')
    const secret = await put('outside/secret.txt', 'not for the release')
    await symlink(secret, join(dir, 'web/f.txt'))
    const hook = copyHook('f.txt')
    const file = await putManifest('web/app.yaml', 'web', 'file:img.tar', hook)

    await expect(packageRelease([file], keys)).rejects.toThrow(
      `${file}: app.hooks.post_install[0].copy_from_host.src: ` +
        `"f.txt" is a link to ${secret}, outside the manifest folder ${join(dir, 'web')}`,
    )
  })

  it('refuses an image whose folder links outside the manifest folder', async () => {
    await put('outside/img.tar', 'image')
    await mkdir(join(dir, 'web'))
    await symlink(join(dir, 'outside'), join(dir, 'web/images'))
    const file = await putManifest('web/app.yaml', 'web', 'file:images/img.tar')

    await expect(packageRelease([file], keys)).rejects.toThrow(
      `${file}: app.container.image: "images/img.tar" ` +
        `is a link to ${join(dir, 'outside/img.tar')}`,
    )
  })

  it('refuses a missing file and a folder, naming manifest and key', async () => {
    await mkdir(join(dir, 'web/img.tar'), { recursive: true })
    const missing = await putManifest('web/a.yaml', 'web', 'file:nope.tar')
    const folder = await putManifest('web/b.yaml', 'web', 'file:img.tar')

    await expect(packageRelease([missing], keys)).rejects.toThrow(
      `${missing}: app.container.image: "nope.tar" names no file ` +
        `(looked for ${join(dir, 'web/nope.tar')})`,
    )
    await expect(packageRelease([folder], keys)).rejects.toThrow(
      `${folder}: app.container.image: "img.tar" is not a regular file`,
    )
  })

  it('refuses an empty list of files and a manifest that breaks a rule', async () => {
    const none = packageRelease([], keys)
    await expect(none).rejects.toThrow('files: at least one manifest')
    const file = await putManifest('web/app.yaml', 'web', 'file:../img.tar')
    await expect(packageRelease([file], keys)).rejects.toThrow(
      'app.container.image: "file:../img.tar" must not contain ".." segments',
    )
  })
})
