// The marketplace at `/`: a search box, category and trust band filters (a plain GET form, so it
// works without JavaScript) and one card per app in the signed catalog.
import { html } from 'hono/html'

import type { AppFilter, AppListing, Facet } from './app-listing.js'
import { renderPage, type Html } from './layout.js'

export interface MarketplaceView {
  operatorDid: string
  filter: AppFilter
  /** The listings that match the filter. */
  apps: AppListing[]
  /** How many apps the catalog holds in all. */
  total: number
  categories: Facet[]
  bands: Facet[]
  sequence: number
}

/** The marketplace page. */
export function renderMarketplacePage(view: MarketplaceView): Html {
  const filtered = view.filter.q || view.filter.category || view.filter.trust
  const count = filtered
    ? `${view.apps.length} of ${view.total} apps match`
    : `${view.total} app${view.total === 1 ? '' : 's'} in catalog sequence ${view.sequence}`
  const body = html`<h1>Apps</h1>
    <p class="muted">Signed releases this registry verified, as its signed catalog lists them.</p>
    ${renderFilters(view)}
    <p class="count" id="count">${count}</p>
    ${
      view.apps.length > 0
        ? html`<ul class="apps">
            ${view.apps.map(renderCard)}
          </ul>`
        : html`<p class="empty">
            ${view.total === 0 ? 'No apps have been published here yet.' : 'No app matches.'}
          </p>`
    }`
  return renderPage({ title: 'Apps', operatorDid: view.operatorDid, body })
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
        ${withSelected(view.categories, filter.category, true).map(renderOption)}
      </select></label
    >
    <label
      >Trust
      <select name="trust">
        <option value="">any</option>
        ${withSelected(view.bands, filter.trust, false).map(renderOption)}
      </select></label
    >
    <button type="submit">Filter</button>
    ${filter.q || filter.category || filter.trust ? html`<a href="/">clear</a>` : ''}
  </form>`
}

/** The facets, with the selected value kept even when no app has it, so the form shows it. */
function withSelected(
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
    <h2><a href="${appPath(app.address)}">${app.name}</a></h2>
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
      <span title="${app.publisher.did}">by <code>${shortDid(app.publisher.did)}</code></span>
      ${
        app.claimants > 1
          ? html`<span class="badge warn">id claimed by ${app.claimants}</span>`
          : ''
      }
    </div>
  </li>`
}

/** The page of an app address (`id` or `id@did`). */
export function appPath(address: string): string {
  return `/apps/${encodeURIComponent(address)}`
}

function shortDid(did: string): string {
  return did.length > 24 ? `${did.slice(0, 16)}…${did.slice(-6)}` : did
}
