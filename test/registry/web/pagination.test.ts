// The marketplace list in pages of PAGE_SIZE apps, over real HTTP on a node holding 50 apps: the
// pager keeps the filter, a page past the last says so, and a bad page number is a 400 naming it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { buildReleaseEvent } from '../../../src/release/release-event.js'
import { PAGE_SIZE } from '../../../registry/web/app-listing.js'
import { makeKeys, manifestDocument, signRelease } from '../../support/release-fixtures.js'
import { makeDataDir, startTestNode, waitFor, type TestNode } from '../harness.js'

// Within the relay's created_at window (at most 15 minutes ahead), ordered among themselves.
const HOUR_AGO = Math.floor(Date.now() / 1000) - 3600
const APPS = 50

describe('marketplace pages of apps', () => {
  const data = makeDataDir()
  let node: TestNode
  const publisher = makeKeys()

  beforeAll(async () => {
    node = await startTestNode(data.dir)
    // Published together: the relay judges and commits them as they come.
    const events = Array.from({ length: APPS }, (_, index) => {
      const id = `app-${String(index).padStart(2, '0')}`
      const category = index % 2 === 0 ? 'Even' : 'Odd'
      const release = signRelease(publisher, [manifestDocument(id, '1.0.0', { category })])
      return buildReleaseEvent(release, publisher.nostr.secretKey, HOUR_AGO + index)
    })
    await Promise.all(events.map((event) => node.publish(event)))
    await waitFor(async () => {
      const { body } = await node.getJson('/v1/catalog')
      return (body.apps as unknown[]).length === APPS ? true : undefined
    })
  })
  afterAll(async () => {
    await node.close()
    data.remove()
  })

  async function getPage(path: string): Promise<{ status: number; text: string }> {
    const response = await fetch(node.url + path)
    return { status: response.status, text: await response.text() }
  }

  const cards = (text: string): number => text.match(/<li>\s*<h2>/g)?.length ?? 0

  it('shows the first PAGE_SIZE apps and a link to the next page', async () => {
    expect(PAGE_SIZE).toBeLessThan(APPS)
    const { text } = await getPage('/')
    expect(cards(text)).toBe(PAGE_SIZE)
    expect(text).toContain(`${APPS} apps in catalog sequence`)
    expect(text).toContain(', page 1 of 2')
    expect(text).toContain('<a rel="next" href="/?page=2">')
    expect(text).not.toContain('rel="prev"')
  })

  it('shows the rest on the last page, with a link back', async () => {
    const { text } = await getPage('/?page=2')
    expect(cards(text)).toBe(APPS - PAGE_SIZE)
    expect(text).toContain('<a rel="prev" href="/">')
    expect(text).not.toContain('rel="next"')
  })

  it('keeps the filter in the pager and counts only the matches', async () => {
    const one = await getPage('/?category=Even')
    expect(cards(one.text)).toBe(25)
    expect(one.text).toContain('25 of 50 apps match')
    expect(one.text).not.toContain('rel="next"')

    const page = await getPage('/?q=app&category=Odd&page=1')
    expect(page.text).toContain('25 of 50 apps match')
    const all = await getPage('/?q=app')
    expect(all.text).toContain('<a rel="next" href="/?q=app&amp;page=2">')
  })

  it('says when a page is past the last one, linking to the last and the first', async () => {
    const { status, text } = await getPage('/?page=7')
    expect(status).toBe(200)
    expect(cards(text)).toBe(0)
    expect(text).toContain('Page 7 is past the last one.')
    expect(text).toContain('<a rel="prev" href="/?page=2">')
    expect(text).toContain('<a href="/">Back to page 1</a>')
  })

  it.each(['0', '-1', '1.5', 'two', '01', '1000000'])('refuses page=%s naming it', async (page) => {
    const { status, text } = await getPage(`/?page=${page}`)
    expect(status).toBe(400)
    expect(text).toContain('page: must be a whole number from 1 to 999999')
  })

  it('lists an app published after the pages were first shown', async () => {
    expect((await getPage('/?q=late-app')).text).toContain('No app matches.')
    const release = signRelease(publisher, [manifestDocument('late-app', '1.0.0')])
    await node.publish(buildReleaseEvent(release, publisher.nostr.secretKey, HOUR_AGO + 1000))
    await waitFor(async () => {
      const { body } = await node.getJson('/v1/catalog')
      return (body.apps as unknown[]).length === APPS + 1 ? true : undefined
    })
    const { text } = await getPage('/?q=late-app')
    expect(cards(text)).toBe(1)
    expect((await getPage('/')).text).toContain(`${APPS + 1} apps in catalog sequence`)
  })
})
