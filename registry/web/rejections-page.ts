// The operator's view of rejected release events: what was refused, from whom, and the reason,
// newest first (the same records as `GET /v1/rejections`).
import { html } from 'hono/html'
import { npubEncode } from 'nostr-tools/nip19'

import type { RejectionRecord } from '../store.js'
import { renderPage, type Html } from './layout.js'

export interface RejectionsView {
  operatorDid: string
  rejections: RejectionRecord[]
  /** The app id the list is narrowed to, if any. */
  appId?: string
  limit: number
}

/** The rejections page. */
export function renderRejectionsPage(view: RejectionsView): Html {
  const scope = view.appId ? html` for <code>${view.appId}</code>` : ''
  const more = view.rejections.length === view.limit ? ` (the newest ${view.limit})` : ''
  const body = html`<h1>Rejections${scope}</h1>
    <p class="muted">
      Release events this registry refused, with the reason, newest first${more}. A rejected event
      never reaches the catalog; the relay may still hold it.
      ${view.appId ? html`<a href="/rejections">All rejections</a>` : ''}
    </p>
    ${
      view.rejections.length === 0
        ? html`<p class="empty">No rejected events${scope}.</p>`
        : html`<table id="rejections">
            <thead>
              <tr>
                <th>seen</th>
                <th>app</th>
                <th>event</th>
                <th>publisher key</th>
                <th>reason</th>
              </tr>
            </thead>
            <tbody>
              ${view.rejections.map(renderRow)}
            </tbody>
          </table>`
    }`
  return renderPage({ title: 'Rejections', operatorDid: view.operatorDid, body })
}

function renderRow(rejection: RejectionRecord): Html {
  return html`<tr>
    <td class="nowrap">${rejection.seen_at}</td>
    <td class="nowrap">
      ${
        rejection.app_id
          ? html`<a href="/rejections?app=${encodeURIComponent(rejection.app_id)}"
              >${rejection.app_id}</a
            >`
          : html`<span class="muted">none</span>`
      }
    </td>
    <td class="nowrap">
      <code title="${rejection.event_id}">${rejection.event_id.slice(0, 12)}…</code>
    </td>
    <td class="nowrap">
      <code title="${rejection.pubkey}">${shortenNpub(rejection.pubkey)}</code>
    </td>
    <td class="reason">${rejection.reason}</td>
  </tr>`
}

/** The event's key as the npub a publisher knows, shortened; the hex stays in the title. */
function shortenNpub(pubkey: string): string {
  const npub = /^[0-9a-f]{64}$/.test(pubkey) ? npubEncode(pubkey) : pubkey
  return `${npub.slice(0, 14)}…`
}
