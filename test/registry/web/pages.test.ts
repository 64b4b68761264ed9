// The marketplace pages over real HTTP on a real node: the list with search and filters, an app
// page, the rejections page, escaping, error pages and the headers that keep script out.
import { npubEncode } from 'nostr-tools/nip19'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { MARKUP_NAME, startMarketplace, type Marketplace } from './marketplace-fixture.js'

let market: Marketplace

beforeAll(async () => {
  market = await startMarketplace()
})
afterAll(async () => {
  await market.close()
})

async function getPage(path: string): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(market.node.url + path)
  return { status: response.status, text: await response.text(), headers: response.headers }
}

/** The app names of the cards on a list page, in order. */
function cardNames(text: string): string[] {
  return [...text.matchAll(/<h2><a href="\/apps\/[^"]+">([^<]*(?:<(?!\/a>)[^<]*)*)<\/a><\/h2>/g)]
    .map((match) => match[1]!)
    .sort()
}

describe('marketplace list page', () => {
  it('lists every app in the catalog, with its trust band, as HTML', async () => {
    const { status, text, headers } = await getPage('/')
    expect(status).toBe(200)
    expect(headers.get('content-type')).toMatch(/^text\/html; charset=UTF-8/i)
    expect(cardNames(text)).toEqual([
      '&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; &amp; &lt;b&gt;Bold&lt;/b&gt;',
      'Notes',
      'Photo Vault',
      'Photo Vault (fork)',
    ])
    expect(text).toContain('4 apps in catalog sequence')
    expect(text.match(/<span class="badge unscored"\s*>unscored<\/span/g)).toHaveLength(4)
    expect(text).toContain(market.node.did)
  })

  it('keeps script out: no script element, a CSP without script sources', async () => {
    const { text, headers } = await getPage('/')
    expect(text).not.toMatch(/<script/i)
    const policy = headers.get('content-security-policy') ?? ''
    expect(policy).toContain("default-src 'none'")
    expect(policy).toMatch(/style-src 'sha256-[A-Za-z0-9+/]+=*'/)
    expect(policy).not.toContain('script-src')
    expect(headers.get('x-content-type-options')).toBe('nosniff')
  })

  it.each([
    ['a word of the description', '?q=photos+home', ['Photo Vault']],
    ['every word, in any case', '?q=PHOTO+fork', ['Photo Vault (fork)']],
    ['a tag', '?q=backup', ['Photo Vault']],
    ['the publisher DID', null, ['Photo Vault (fork)']],
    ['no match', '?q=nothing-like-this', []],
    ['a category, in any case', '?category=media', ['Photo Vault', 'Photo Vault (fork)']],
    ['a category and a search', '?category=Media&q=fork', ['Photo Vault (fork)']],
    ['the trust band there is', '?trust=unscored', ['Notes', 'Photo Vault', 'Photo Vault (fork)']],
    ['a trust band no app has', '?trust=trusted', []],
    ['empty parameters as any', '?q=&category=&trust=', null],
  ])('filters by %s on the server', async (_name, query, expected) => {
    const path = query ?? `?q=${encodeURIComponent(market.rival.ed25519.did)}`
    const { status, text } = await getPage(`/${path}`)
    expect(status).toBe(200)
    const names = cardNames(text).filter((name) => !name.startsWith('&lt;script'))
    expect(names).toEqual(expected ?? ['Notes', 'Photo Vault', 'Photo Vault (fork)'])
    if (expected?.length === 0) expect(text).toContain('No app matches.')
  })

  it('offers the categories and bands there are, with counts, keeping the selection', async () => {
    const { text } = await getPage('/?category=media&trust=trusted&q=%3Cb%3E')
    expect(text).toContain('<option value="Media" selected>')
    expect(text).toMatch(/<option value="Media" selected>\s*Media \(2\)/)
    expect(text).toMatch(/<option value="Productivity" >\s*Productivity \(1\)/)
    expect(text).toMatch(/<option value="unscored" >\s*unscored \(4\)/)
    expect(text).toMatch(/<option value="trusted" selected>\s*trusted \(0\)/)
    expect(text).toContain('value="&lt;b&gt;"')
    expect(text).toContain('0 of 4 apps match')
  })

  it.each([
    ['an unknown parameter', '?sort=name', 'sort: is not a query parameter of GET /'],
    ['a parameter given twice', '?q=a&q=b', 'q: must be given once, not 2 times'],
    [
      'a malformed band',
      '?trust=Trusted!',
      'trust: must be one of trusted, in-network, unknown, unscored',
    ],
    ['a search too long', `?q=${'x'.repeat(201)}`, 'q: must be at most 200 characters'],
  ])('answers %s with a 400 page naming it', async (_name, query, message) => {
    const { status, text, headers } = await getPage(`/${query}`)
    expect(status).toBe(400)
    expect(headers.get('content-type')).toMatch(/^text\/html/)
    expect(text).toContain('<h1>Bad request</h1>')
    expect(text).toContain(message)
  })
})

describe('app page', () => {
  it('shows the description, publisher DID and npub, and the install commands', async () => {
    const { status, text } = await getPage('/apps/photo-vault')
    expect(status).toBe(200)
    expect(text).toContain('<h1>Photo Vault</h1>')
    expect(text).toContain('Keeps your photos at home, away from anyone else.')
    const { publisher } = market
    expect(text).toContain(`<code>${publisher.ed25519.did}</code>`)
    expect(text).toContain(`<code>${npubEncode(publisher.nostr.pubkey)}</code>`)
    expect(text).toContain(
      `<pre id="install">archy agent add-registry ${market.node.url} --did ${market.node.did}\n` +
        'archy agent install photo-vault</pre>',
    )
    expect(text).toContain('installs the whole stack')
    expect(text).toMatch(/<a href="\/rejections\?app=photo-vault">1 rejected event\(s\)<\/a>/)
  })

  it('shows what each manifest of the stack asks of the host', async () => {
    const { text } = await getPage('/apps/photo-vault')
    for (const line of [
      '127.0.0.1:18443 -&gt; 8080/tcp (gated)',
      'host directory /var/lib/archipelago/photo-vault/data at /data',
      'tmpfs at /tmp',
      'photo-vault-db-password: 32 hex characters, made once, given as DB_PASSWORD',
      '<code>CHOWN</code>',
      '<code>SETUID</code>',
      'app photo-vault-db',
      'memory up to 512 MiB',
      'network archy-net (isolated)',
      'read-only root file system',
      'Stack member <code>photo-vault-db</code>',
      'named volume pgdata at /var/lib/postgresql',
      'none (every capability dropped)',
    ]) {
      expect(text).toContain(line)
    }
  })

  it('lists every release kept, newest first, marking the offered and the yanked', async () => {
    const { text } = await getPage('/apps/photo-vault')
    const versions = text.slice(text.indexOf('id="versions"'))
    const rows = [...versions.matchAll(/<tr>\s*<td>([^<]+)<\/td>/g)].map((match) => match[1])
    expect(rows).toEqual(['1.3.0', '1.2.0', '1.0.0'])
    expect(versions).toMatch(/1\.3\.0<\/td>[\s\S]*?offered[\s\S]*?1\.2\.0<\/td>[\s\S]*?earlier/)
    expect(versions).toMatch(/1\.0\.0<\/td>[\s\S]*?>yanked 20\d\d-/)
  })

  it('addresses the second claimant of an id as id@<did>, in its page and command', async () => {
    const address = `photo-vault@${market.rival.ed25519.did}`
    const list = await getPage('/')
    expect(list.text).toContain(`href="/apps/${encodeURIComponent(address)}"`)
    expect(list.text).toContain('id claimed by 2')

    for (const path of [`/apps/${encodeURIComponent(address)}`, `/apps/${address}`]) {
      const { status, text } = await getPage(path)
      expect(status).toBe(200)
      expect(text).toContain('<h1>Photo Vault (fork)</h1>')
      expect(text).toContain(`archy agent install ${address}</pre>`)
      expect(text).toContain('Another publisher owns the bare id here, hence id@&lt;did&gt;.')
    }
    const owner = await getPage('/apps/photo-vault')
    expect(owner.text).toContain(`>${address}</a>`)
  })

  it('shows a manifest name that is markup as text', async () => {
    const { status, text } = await getPage('/apps/xss-app')
    expect(status).toBe(200)
    expect(text).not.toContain(MARKUP_NAME)
    expect(text).not.toMatch(/<script/i)
    const escaped =
      '&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; &amp; &lt;b&gt;Bold&lt;/b&gt;'
    expect(text).toContain(`<h1>${escaped}</h1>`)
  })

  it.each([
    ['an app not in the catalog', '/apps/no-such-app', 404, 'app no-such-app is not in this'],
    ['a rejected app', '/apps/bad-ports', 404, 'app bad-ports is not in this'],
    ['an id of the wrong publisher', null, 404, 'is not in this registry&#39;s catalog'],
    ['a bad id', '/apps/Bad_Id', 400, 'address: '],
    ['a bad DID', '/apps/notes@did:web:example.org', 400, 'is not a publisher&#39;s did:key'],
    ['a query parameter', '/apps/notes?tab=1', 400, 'tab: is not a query parameter'],
  ])('answers %s with an error page', async (_name, path, status, message) => {
    const target = path ?? `/apps/notes@${market.rival.ed25519.did}`
    const page = await getPage(target)
    expect(page.status).toBe(status)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(page.text).toContain(message)
  })
})

describe('rejections page', () => {
  it('lists rejected events with their reasons', async () => {
    const { status, text } = await getPage('/rejections')
    expect(status).toBe(200)
    expect(text).toContain('>bad-ports</a')
    expect(text).toContain('port 80 is below 1024 and rootless Podman cannot bind it')
    const { pubkey, npub } = market.publisher.nostr
    expect(text).toContain(`<code title="${pubkey}">${npub.slice(0, 14)}…</code>`)
  })

  it('narrows to one app id and names it', async () => {
    const one = await getPage('/rejections?app=bad-ports')
    expect(one.text).toContain('Rejections for <code>bad-ports</code>')
    expect(one.text).toContain('port 80 is below 1024')
    const vault = await getPage('/rejections?app=photo-vault')
    expect(vault.text).toContain('NET_ADMIN')
    expect(vault.text).not.toContain('port 80 is below 1024')
    const none = await getPage('/rejections?app=notes')
    expect(none.text).toContain('No rejected events for <code>notes</code>.')
  })

  it.each([
    ['limit=0', 'limit: must be an integer from 1 to 1000'],
    ['limit=x', 'limit: must be an integer from 1 to 1000'],
    ['page=2', 'page: is not a query parameter of GET /rejections; it takes app, limit'],
  ])('refuses %s with a 400 page naming it', async (query, message) => {
    const { status, text } = await getPage(`/rejections?${query}`)
    expect(status).toBe(400)
    expect(text).toContain(message)
  })
})

describe('page methods', () => {
  it('answers HEAD like GET without a body, and other methods with 405', async () => {
    const head = await fetch(market.node.url + '/', { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
    for (const path of ['/', '/apps/notes', '/rejections']) {
      const post = await fetch(market.node.url + path, { method: 'POST' })
      expect(post.status).toBe(405)
      expect(post.headers.get('allow')).toBe('GET, HEAD')
    }
  })

  it('still gives the NIP-11 document at / to a relay client', async () => {
    const response = await fetch(market.node.url + '/', {
      headers: { accept: 'application/nostr+json' },
    })
    expect(response.headers.get('content-type')).toMatch(/application\/nostr\+json/)
    expect(((await response.json()) as { software: string }).software).toBe('archipelago-registry')
  })
})
