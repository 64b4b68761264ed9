// The marketplace in headless Chromium (Debian's, through playwright-core; no browser is ever
// downloaded): search, filter and open an app with JavaScript off, as a visitor without it would,
// saving a screenshot of each step under test-artifacts/ (or ARCHY_TEST_ARTIFACTS).
import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { MARKUP_NAME, startMarketplace, type Marketplace } from './marketplace-fixture.js'

const CHROMIUM = '/usr/bin/chromium'

function hasChromium(): boolean {
  try {
    accessSync(CHROMIUM, constants.X_OK)
    return true
  } catch {
    return false
  }
}

const describeBrowser = hasChromium()
  ? describe
  : describe.skip.bind(describe, `(needs ${CHROMIUM}: sudo bash deploy/setup-host.sh)`)

describeBrowser('marketplace in headless Chromium', () => {
  const artifacts = resolve(
    process.env.ARCHY_TEST_ARTIFACTS ?? 'test-artifacts',
    'marketplace',
    new Date().toISOString().replace(/[:.]/g, '-'),
  )
  let market: Marketplace
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true })
    console.log(`marketplace screenshots: ${artifacts}`)
    market = await startMarketplace()
    // Chromium refuses its sandbox as root (CI runs as root); elsewhere it keeps it.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      chromiumSandbox: process.getuid?.() !== 0,
    })
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 1200, height: 900 },
    })
    page = await context.newPage()
  })
  afterAll(async () => {
    await browser?.close()
    await market?.close()
  })

  async function snap(name: string): Promise<void> {
    const path = join(artifacts, `${name}.png`)
    await page.screenshot({ path, fullPage: true })
    // Saved as a test artifact: a PNG of a rendered page, not an empty file.
    const saved = readFileSync(path)
    expect(saved.subarray(1, 4).toString('latin1')).toBe('PNG')
    expect(saved.length).toBeGreaterThan(10_000)
  }

  async function cardNames(): Promise<string[]> {
    return (await page.locator('ul.apps li h2').allTextContents()).map((name) => name.trim())
  }

  it('lists the apps', async () => {
    await page.goto(market.node.url + '/')
    await snap('1-list')
    expect((await cardNames()).sort()).toEqual(
      [MARKUP_NAME, 'Notes', 'Photo Vault', 'Photo Vault (fork)'].sort(),
    )
    await expect(page.locator('#count').textContent()).resolves.toContain('4 apps')
  })

  it('searches through the form', async () => {
    await page.getByRole('searchbox').fill('fork')
    await page.getByRole('searchbox').press('Enter')
    await page.waitForURL(/\?q=fork/)
    await snap('2-search')
    expect(await cardNames()).toEqual(['Photo Vault (fork)'])
    await expect(page.locator('#count').textContent()).resolves.toContain('1 of 4 apps match')
  })

  it('filters by category and trust band', async () => {
    await page.getByRole('searchbox').fill('')
    await page.getByLabel('Category').selectOption({ label: 'Media (2)' })
    await page.getByLabel('Trust').selectOption('unscored')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.waitForURL(/category=Media/)
    await snap('3-filter')
    expect((await cardNames()).sort()).toEqual(['Photo Vault', 'Photo Vault (fork)'])
    expect(new URL(page.url()).searchParams.get('trust')).toBe('unscored')
  })

  it('opens an app and shows how to install it', async () => {
    await page.getByRole('link', { name: 'Photo Vault', exact: true }).click()
    await page.waitForURL(/\/apps\/photo-vault$/)
    await snap('4-app')
    await expect(page.locator('h1').textContent()).resolves.toBe('Photo Vault')
    const install = await page.locator('#install').textContent()
    expect(install).toBe(
      `archy agent add-registry ${market.node.url} --did ${market.node.did}\n` +
        'archy agent install photo-vault',
    )
    const needs = await page.locator('#host-needs').textContent()
    expect(needs).toContain('127.0.0.1:18443 -> 8080/tcp (gated)')
    expect(needs).toContain('CHOWN')
    const versions = await page.locator('#versions tbody tr').allTextContents()
    expect(versions).toHaveLength(3)
    expect(versions[2]).toMatch(/1\.0\.0[\s\S]*yanked/)
    await expect(page.locator('#publisher').textContent()).resolves.toContain(
      market.publisher.nostr.npub,
    )
  })

  it('opens the other claimant of the id by its id@did address', async () => {
    await page.getByRole('link', { name: `photo-vault@${market.rival.ed25519.did}` }).click()
    await expect(page.locator('h1').textContent()).resolves.toBe('Photo Vault (fork)')
    await expect(page.locator('#install').textContent()).resolves.toContain(
      `archy agent install photo-vault@${market.rival.ed25519.did}`,
    )
    await snap('5-claimant')
  })

  it('shows a name that is markup as text, running nothing even with JavaScript on', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } })
    const scripted = await context.newPage()
    const dialogs: string[] = []
    scripted.on('dialog', (dialog) => {
      dialogs.push(dialog.message())
      void dialog.dismiss()
    })
    await scripted.goto(market.node.url + '/apps/xss-app')
    await expect(scripted.locator('h1').textContent()).resolves.toBe(MARKUP_NAME)
    expect(await scripted.locator('script').count()).toBe(0)
    expect(await scripted.locator('main b').count()).toBe(0)
    await scripted.screenshot({ path: join(artifacts, '6-markup-name.png'), fullPage: true })
    expect(dialogs).toEqual([])
    await context.close()
  })

  it('shows the rejections with their reasons', async () => {
    await page.goto(market.node.url + '/')
    await page.getByRole('link', { name: 'Rejections', exact: true }).click()
    await snap('7-rejections')
    const rows = await page.locator('#rejections tbody tr').allTextContents()
    expect(rows).toHaveLength(2)
    expect(rows[0]).toContain('NET_ADMIN')
    expect(rows[1]).toContain('port 80 is below 1024')
  })
})
