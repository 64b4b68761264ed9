// An app's page: what it is, who published it (DID and npub), the commands that install it, what
// it asks of the host (each manifest of its stack), and every release this registry kept.
import { html } from 'hono/html'
import { npubEncode } from 'nostr-tools/nip19'

import type { AppManifest } from '../../src/manifest/types.js'
import type { ReleaseDocument } from '../../src/release/release-document.js'
import type { ReleaseRecord } from '../store.js'
import type { AppListing } from './app-listing.js'
import { buildInstallCommands, describeHostNeeds } from './host-needs.js'
import { renderPage, type Html } from './layout.js'
import { formatAppPath } from './marketplace-page.js'

export interface AppPageView {
  registry: { url: string; did: string }
  app: AppListing
  /** The event id of the release the catalog offers. */
  offeredEventId: string
  /** The normalized manifests of the offered release, primary first; or why they are not. */
  manifests: AppManifest[] | { problem: string }
  /** This publisher's releases of the app, newest first. */
  releases: ReleaseRecord[]
  /** The other publishers' apps with the same id. */
  otherClaimants: AppListing[]
  rejections: number
}

/** The app page. */
export function renderAppPage(view: AppPageView): Html {
  const { app } = view
  const body = html`<h1>${app.name}</h1>
    <p class="meta">
      <code>${app.id}</code><span>v${app.version}</span>
      ${app.category ? html`<span>${app.category}</span>` : ''}
      <span class="badge ${app.trust.band === 'unscored' ? 'unscored' : ''}"
        >trust: ${app.trust.band}</span
      >
      ${app.tags.map((tag) => html`<span class="badge">${tag}</span>`)}
    </p>
    <p id="description">
      ${app.description || html`<span class="muted">The publisher gave no description.</span>`}
    </p>

    <h2>Install</h2>
    <pre id="install">${buildInstallCommands(view.registry, app.address).join('\n')}</pre>
    <p class="muted">
      The first command follows this registry and pins its operator DID (once per node); the second
      installs ${isStack(view.manifests) ? 'the whole stack' : 'the app'}.
      ${app.address !== app.id ? 'Another publisher owns the bare id here, hence id@<did>.' : ''}
    </p>

    ${renderPublisher(view)} ${renderHostNeeds(view.manifests)} ${renderReleases(view)}
    <p class="muted">
      JSON: <a href="/v1/apps/${encodeURIComponent(app.address)}">/v1/apps/${app.address}</a>
      ${
        view.rejections > 0
          ? html` ·
              <a href="/rejections?app=${app.id}">${view.rejections} rejected event(s)</a> for this
              id`
          : ''
      }
    </p>`
  return renderPage({ title: app.name, operatorDid: view.registry.did, body })
}

function renderPublisher(view: AppPageView): Html {
  const { publisher } = view.app
  return html`<h2>Publisher</h2>
    <section class="card" id="publisher">
      <dl class="facts">
        <dt>DID</dt>
        <dd><code>${publisher.did}</code></dd>
        <dt>npub</dt>
        <dd><code>${npubEncode(publisher.nostr_pubkey)}</code></dd>
        <dt>trust</dt>
        <dd>
          ${view.app.trust.band}${view.app.trust.score === null ? '' : ` (${view.app.trust.score})`}
        </dd>
        ${
          view.otherClaimants.length > 0
            ? html`<dt>same id</dt>
                <dd>
                  ${view.otherClaimants.map(
                    (other) =>
                      html`<a href="${formatAppPath(other.address)}">${other.address}</a><br />`,
                  )}
                </dd>`
            : ''
        }
      </dl>
    </section>`
}

function renderHostNeeds(manifests: AppPageView['manifests']): Html {
  if (!Array.isArray(manifests)) {
    return html`<h2>What it asks of the host</h2>
      <p class="reason">${manifests.problem}</p>`
  }
  return html`<h2>What it asks of the host</h2>
    <div id="host-needs">${manifests.map(renderManifestNeeds)}</div>`
}

function renderManifestNeeds(manifest: AppManifest, index: number): Html {
  const needs = describeHostNeeds(manifest)
  const rows: [string, string[], string][] = [
    ['Ports', needs.ports, 'none published'],
    ['Volumes', needs.volumes, 'none'],
    ['Secrets', needs.secrets, 'none'],
    ['Capabilities', needs.capabilities, 'none (every capability dropped)'],
    ['Dependencies', needs.dependencies, 'none'],
    ['Resources', needs.resources, 'no limits'],
    ['Isolation', needs.isolation, ''],
  ]
  return html`<section class="card">
    <h3>${index === 0 ? 'App' : 'Stack member'} <code>${manifest.id}</code></h3>
    <p class="muted">image <code>${manifest.container.image}</code></p>
    <table>
      ${rows.map(
        ([label, items, none]) =>
          html`<tr>
            <th scope="row">${label}</th>
            <td>
              ${
                items.length > 0
                  ? items.map((item) => html`<code>${item}</code><br />`)
                  : html`<span class="muted">${none}</span>`
              }
            </td>
          </tr>`,
      )}
    </table>
  </section>`
}

function renderReleases(view: AppPageView): Html {
  return html`<h2>Versions</h2>
    <table id="versions">
      <thead>
        <tr>
          <th>version</th>
          <th>published</th>
          <th>verified here</th>
          <th>event</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${view.releases.map((record) => {
          const offered = record.event_id === view.offeredEventId
          return html`<tr>
            <td>${record.version}</td>
            <td>${(record.release as ReleaseDocument).published_at}</td>
            <td>${record.verified_at}</td>
            <td><code title="${record.event_id}">${record.event_id.slice(0, 12)}…</code></td>
            <td>${renderReleaseState(record, offered)}</td>
          </tr>`
        })}
      </tbody>
    </table>`
}

/** Offered (in the catalog), yanked by its publisher (NIP-09: kept, never offered), or earlier. */
function renderReleaseState(record: ReleaseRecord, offered: boolean): Html | string {
  if (record.yanked) {
    return html`<span class="badge warn" title="${record.yanked.deletion_id}"
      >yanked ${record.yanked.yanked_at}</span
    >`
  }
  return offered ? html`<span class="badge">offered</span>` : 'earlier'
}

function isStack(manifests: AppPageView['manifests']): boolean {
  return Array.isArray(manifests) && manifests.length > 1
}
