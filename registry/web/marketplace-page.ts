// The marketplace at `/`: a search box, category and trust band filters (a plain GET form, so it
// works without JavaScript) and one card per app in the signed catalog.
import { html } from 'hono/html'

import type { AppFilter, AppListing, Facet } from './app-listing.js'
import { renderPage, type Html } from './layout.js'

export interface MarketplaceView {
  operatorDid: string
  filter: AppFilter
  /** The listings of this page among those that match the filter. */
  apps: AppListing[]
  /** How many apps match the filter. */
  matched: number
  /** How many apps the catalog holds in all. */
  total: number
  /** This page's number, from 1, and how many pages the matches fill. */
  page: number
  pageCount: number
  categories: Facet[]
  bands: Facet[]
  sequence: number
}

/** The marketplace page. */
export function renderMarketplacePage(view: MarketplaceView): Html {
  const filtered = view.filter.q || view.filter.category || view.filter.trust
  const count =
    (filtered
      ? `${view.matched} of ${view.total} apps match`
      : `${view.total} app${view.total === 1 ? '' : 's'} in catalog sequence ${view.sequence}`) +
    (view.pageCount > 1 ? `, page ${view.page} of ${view.pageCount}` : '')
  const body = html`<h1>Apps</h1>
    <p class="muted">Signed releases this registry verified, as its signed catalog lists them.</p>
    ${renderFilters(view)}
    <p class="count" id="count">${count}</p>
    ${
      view.apps.length > 0
        ? html`<ul class="apps">
            ${view.apps.map(renderCard)}
          </ul>`
        : html`<p class="empty">${describeEmpty(view)}</p>`
    }
    ${renderPager(view)}`
  return renderPage({ title: 'Apps', operatorDid: view.operatorDid, body })
}

function describeEmpty(view: MarketplaceView): Html | string {
  if (view.total === 0) return 'No apps have been published here yet.'
  if (view.matched === 0) return 'No app matches.'
  return html`Page ${view.page} is past the last one.
    <a href="${formatPagePath(view.filter, 1)}">Back to page 1</a>`
}

function renderPager(view: MarketplaceView): Html | string {
  if (view.pageCount <= 1) return ''
  const previous = Math.min(view.page - 1, view.pageCount)
  const next = view.page + 1
  const back = html`<a rel="prev" href="${formatPagePath(view.filter, previous)}">← Previous</a>`
  const on = html`<a rel="next" href="${formatPagePath(view.filter, next)}">Next →</a>`
  return html`<nav class="pager" aria-label="Pages">
    ${previous >= 1 ? back : ''} ${next <= view.pageCount ? on : ''}
  </nav>`
}

/** The list's URL for one page, keeping the filter. */
function formatPagePath(filter: AppFilter, page: number): string {
  const query = new URLSearchParams()
  if (filter.q) query.set('q', filter.q)
  if (filter.category) query.set('category', filter.category)
  if (filter.trust) query.set('trust', filter.trust)
  if (page > 1) query.set('page', String(page))
  const text = query.toString()
  return text ? `/?${text}` : '/'
}

function renderFilters(view: MarketplaceView): Html {
  const { filter } = view
  return html`<form class="filters" method="get" action="/" role="search">
    <label class="grow"
      >Search
      <input type="search" name="q" value="${filter.q ?? ''}" placeholder="name, words, tags, DID"
    /></label>
    <label
      >Category
      <select name="category">
        <option value="">any</option>
        ${markSelected(view.categories, filter.category, true).map(renderOption)}
      </select></label
    >
    <label
      >Trust
      <select name="trust">
        <option value="">any</option>
        ${markSelected(view.bands, filter.trust, false).map(renderOption)}
      </select></label
    >
    <button type="submit">Filter</button>
    ${filter.q || filter.category || filter.trust ? html`<a href="/">clear</a>` : ''}
  </form>`
}

/** The facets, with the selected value kept even when no app has it, so the form shows it. */
function markSelected(
  facets: Facet[],
  selected: string | undefined,
  ignoreCase: boolean,
): { facet: Facet; selected: boolean }[] {
  const same = (a: string, b: string): boolean =>
    ignoreCase ? a.toLowerCase() === b.toLowerCase() : a === b
  const rows = facets.map((facet) => ({
    facet,
    selected: selected !== undefined && same(facet.value, selected),
  }))
  if (selected !== undefined && !rows.some((row) => row.selected)) {
    rows.push({ facet: { value: selected, count: 0 }, selected: true })
  }
  return rows
}

function renderOption(row: { facet: Facet; selected: boolean }): Html {
  const { value, count } = row.facet
  return html`<option value="${value}" ${row.selected ? 'selected' : ''}>
    ${value} (${count})
  </option>`
}

function renderCard(app: AppListing): Html {
  return html`<li>
    <h2><a href="${formatAppPath(app.address)}">${app.name}</a></h2>
    <div class="meta">
      <code>${app.address === app.id ? app.id : `${app.id}@…`}</code>
      <span>v${app.version}</span>
      ${app.category ? html`<span>${app.category}</span>` : ''}
      <span class="badge ${app.trust.band === 'unscored' ? 'unscored' : ''}"
        >${app.trust.band}</span
      >
    </div>
    <p>${app.description || html`<span class="muted">No description.</span>`}</p>
    <div class="meta">
      <span title="${app.publisher.did}">by <code>${shortenDid(app.publisher.did)}</code></span>
      ${
        app.claimants > 1
          ? html`<span class="badge warn">id claimed by ${app.claimants}</span>`
          : ''
      }
    </div>
  </li>`
}

/** The page of an app address (`id` or `id@did`). */
export function formatAppPath(address: string): string {
  return `/apps/${encodeURIComponent(address)}`
}

function shortenDid(did: string): string {
  return did.length > 24 ? `${did.slice(0, 16)}…${did.slice(-6)}` : did
}
