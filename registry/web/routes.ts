// The marketplace pages on the registry's Hono app: `/`, `/apps/:address` and `/rejections`.
// They read the signed catalog and the store as the JSON API does; a bad query or an unknown app
// is an HTML page naming the field and the rule, with the status the API would give.
import type { Context, Hono } from 'hono'
import type { HttpBindings } from '@hono/node-server'

import { ArchyError, ValidationError } from '../../src/errors.js'
import type { AppManifest } from '../../src/manifest/types.js'
import { checkAppId } from '../../src/manifest/formats.js'
import { requireValidManifests } from '../../src/manifest/validate.js'
import { parseAppAddress } from '../../src/release/app-address.js'
import type { ReleaseDocument } from '../../src/release/release-document.js'
import type { CatalogSigner, SignedCatalog } from '../catalog-signer.js'
import { answerOptions, methodNotAllowed, notFound } from '../http-errors.js'
import { readQuery } from '../http-query.js'
import type { RegistryStore } from '../store.js'
import {
  type AppListing,
  countFacets,
  type Facet,
  filterApps,
  listApps,
  PAGE_SIZE,
  readAppFilter,
  readPageNumber,
} from './app-listing.js'
import { renderAppPage } from './app-page.js'
import { renderErrorPage, respondPage } from './layout.js'
import { renderMarketplacePage } from './marketplace-page.js'
import { renderRejectionsPage } from './rejections-page.js'

export interface WebRoutesOptions {
  catalog: CatalogSigner
  store: RegistryStore
}

interface Listings {
  all: AppListing[]
  categories: Facet[]
  bands: Facet[]
}

export const WEB_PATHS = ['/', '/apps/:address', '/rejections']

const HEADING_BY_CODE: Record<string, [400 | 404, string]> = {
  invalid: [400, 'Bad request'],
  'not-found': [404, 'Not found'],
}

/** Adds the pages to `app`; register them before routes with a catch-all path parameter. */
export function addWebRoutes(
  app: Hono<{ Bindings: HttpBindings }>,
  options: WebRoutesOptions,
): void {
  const { catalog, store } = options
  const operatorDid = (): string => catalog.current().catalog.registry.did

  // Listings and facets change only with the signed catalog, so each catalog's are made once.
  const listed = new WeakMap<object, Listings>()
  function readListings(signed: SignedCatalog['catalog']): Listings {
    let found = listed.get(signed)
    if (!found) {
      const all = listApps(signed.apps)
      const categories = countFacets(all, (listing) => listing.category)
      found = { all, categories, bands: countFacets(all, (listing) => listing.trust.band) }
      listed.set(signed, found)
    }
    return found
  }

  app.get('/', (c) =>
    answerPage(c, operatorDid(), () => {
      const query = readQuery(c, ['q', 'category', 'trust', 'page'])
      const filter = readAppFilter(query)
      const number = readPageNumber(query.page)
      const signed = catalog.current().catalog
      const { all, categories, bands } = readListings(signed)
      const matches = filterApps(all, filter)
      const page = renderMarketplacePage({
        operatorDid: signed.registry.did,
        filter,
        apps: matches.slice((number - 1) * PAGE_SIZE, number * PAGE_SIZE),
        matched: matches.length,
        total: all.length,
        page: number,
        pageCount: Math.ceil(matches.length / PAGE_SIZE),
        categories,
        bands,
        sequence: signed.sequence,
      })
      return respondPage(c, 200, page)
    }),
  )

  app.get('/apps/:address', (c) =>
    answerPage(c, operatorDid(), () => {
      readQuery(c)
      const address = c.req.param('address')
      const { id, did } = parseAppAddress(address, 'address')
      const signed = catalog.current().catalog
      const { all } = readListings(signed)
      // A bare id is the owner's app; `id@did` is that publisher's, owner or not.
      const app = all.find((listing) =>
        did ? listing.id === id && listing.publisher.did === did : listing.address === id,
      )
      if (!app) throw notFound(`app ${address} is not in this registry's catalog`)
      const entry = signed.apps.find((candidate) => candidate.event_id === app.eventId)!
      const page = renderAppPage({
        registry: { url: signed.registry.url, did: signed.registry.did },
        app,
        offeredEventId: entry.event_id,
        manifests: normalizeManifests(entry.release as ReleaseDocument),
        releases: store.releasesBy(id, app.publisher.did).reverse(),
        otherClaimants: all.filter((other) => other.id === id && other !== app),
        rejections: store.rejections({ appId: id }).length,
      })
      return respondPage(c, 200, page)
    }),
  )

  app.get('/rejections', (c) =>
    answerPage(c, operatorDid(), () => {
      const query = readQuery(c, ['app', 'limit'])
      const limit = readLimit(query.limit)
      const appId = query.app?.trim() || undefined
      // An app id as /apps/:address takes one: a malformed one is a 400, not an empty list.
      const problem = appId === undefined ? undefined : checkAppId(appId)
      if (problem !== undefined) throw new ValidationError('app', problem)
      const rejections = store.rejections({ ...(appId && { appId }), limit })
      const view = { operatorDid: operatorDid(), rejections, limit }
      return respondPage(c, 200, renderRejectionsPage(appId ? { ...view, appId } : view))
    }),
  )

  // The pages are read-only, as the API is.
  app.on(['POST', 'PUT', 'DELETE', 'PATCH'], WEB_PATHS, (c) => {
    c.header('allow', 'GET, HEAD')
    throw methodNotAllowed(c.req.method, 'GET or HEAD')
  })
  app.on('OPTIONS', WEB_PATHS, answerOptions('GET, HEAD'))

  /** Maps a bad query or an unknown app to an error page; anything else goes to onError. */
  function answerPage(
    c: Context,
    did: string,
    render: () => Response | Promise<Response>,
  ): Response | Promise<Response> {
    try {
      return render()
    } catch (error) {
      const mapped = error instanceof ArchyError ? HEADING_BY_CODE[error.code] : undefined
      if (!mapped) throw error
      const message = (error as ArchyError).message
      return respondPage(c, mapped[0], renderErrorPage(did, mapped[1], message))
    }
  }
}

/** The manifests as the agent will read them (defaults applied), or why they do not validate. */
function normalizeManifests(release: ReleaseDocument): AppManifest[] | { problem: string } {
  try {
    return requireValidManifests(release.manifests)
  } catch (error) {
    return { problem: `the manifests no longer validate: ${(error as Error).message}` }
  }
}

function readLimit(text: string | undefined): number {
  if (text === undefined) return 100
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 1000) {
    throw new ValidationError('limit', 'must be an integer from 1 to 1000')
  }
  return Number(text)
}
