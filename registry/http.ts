// The registry's HTTP API on Hono: the signed catalog, app summaries and verdicts, rejections,
// the verdict of one event (for `archy publish`), blobs, health, metrics and the OpenAPI
// document. JSON everywhere, errors included; CORS open to every origin, as Blossom (BUD-01) asks.
import type { HttpBindings } from '@hono/node-server'
import { OpenAPIHono } from '@hono/zod-openapi'
import type { Logger } from 'pino'

import { shortenValue } from '../src/quote-value.js'
import type { ReleaseDocument } from '../src/release/release-document.js'
import { RELEASE_D_PREFIX, RELEASE_KIND } from '../src/release/release-event.js'
import {
  AppAddressParam,
  documentApiRoutes,
  EventIdParam,
  openApiDocument,
  parseParams,
} from './api-docs.js'
import { LimitQuery, toValidationError } from './api-schemas.js'
import { addBlobRoutes, type BlobRoutesOptions, type RegistryApp } from './blob-routes.js'
import { addBlossomRoutes } from './blossom-routes.js'
import type { CatalogSigner, RegistryCatalogEntry } from './catalog-signer.js'
import {
  CATALOG_ENCODINGS,
  catalogEtag,
  chooseEncoding,
  createCatalogEncoder,
} from './catalog-encoding.js'
import { matchesIfNoneMatch } from './http-conditional.js'
import { allowCrossOrigin } from './http-cors.js'
import {
  answerOptions,
  methodNotAllowed,
  notFound,
  respondError,
  respondToError,
} from './http-errors.js'
import { readQuery } from './http-query.js'
import type { Indexer } from './indexer.js'
import { statusOf, type RegistryMetrics } from './metrics.js'
import type { RegistryStore, ReleaseRecord } from './store.js'
import { documentPageRoutes } from './web/page-docs.js'
import { addWebRoutes } from './web/routes.js'

export interface RegistryHttpOptions extends BlobRoutesOptions {
  catalog: CatalogSigner
  indexer: Indexer
  store: RegistryStore
  logger: Logger
  metrics: RegistryMetrics
  /** The software version the OpenAPI document names. */
  version: string
}

const API_PATHS = [
  '/healthz',
  '/metrics',
  '/v1/openapi.json',
  '/v1/catalog',
  '/v1/apps',
  '/v1/apps/:id',
  '/v1/apps/:id/releases',
  '/v1/rejections',
  '/v1/events/:id/verdict',
]

/** Builds the Hono app; the node mounts it on its own node:http server. */
export function createRegistryApp(options: RegistryHttpOptions): RegistryApp {
  const { catalog, indexer, store, logger, metrics } = options
  const app: RegistryApp = new OpenAPIHono<{ Bindings: HttpBindings }>({
    // A failed validation is the one 400 of every route, naming the field and the rule.
    defaultHook: (result) => {
      if (!result.success) throw toValidationError(result.error)
    },
  })

  app.use(metrics.middleware)
  app.use(async (c, next) => {
    const started = performance.now()
    await next()
    const ms = Math.round(performance.now() - started)
    const fields = { method: c.req.method, path: c.req.path, status: statusOf(c), ms }
    logger.debug(fields, 'http')
  })
  app.use(allowCrossOrigin())
  app.onError((error, c) => respondToError(c, error, logger))
  app.notFound((c) =>
    respondError(
      c,
      404,
      'not-found',
      `no route for ${c.req.method} ${shortenValue(c.req.path, 200)}`,
    ),
  )

  app.get('/healthz', (c) => {
    readQuery(c)
    return c.json({ status: 'ok' })
  })

  app.get('/metrics', async (c) => {
    readQuery(c)
    const text = await metrics.registry.metrics()
    return c.body(text, 200, { 'content-type': metrics.registry.contentType })
  })

  documentApiRoutes(app)
  // Generated on each request: routes registered later (the pages, plugins) are in it too.
  app.get('/v1/openapi.json', (c) => {
    readQuery(c)
    return c.json(openApiDocument(app, options.version) as object)
  })

  // Compressed once per signed catalog; any form's ETag makes a 304 (the content is the same).
  const encoder = createCatalogEncoder()
  app.get('/v1/catalog', async (c) => {
    readQuery(c)
    const signed = catalog.current()
    const encoding = chooseEncoding(c.req.header('accept-encoding'))
    const headers = {
      etag: catalogEtag(signed.blake3, encoding),
      'cache-control': 'no-cache',
      vary: 'Accept-Encoding',
    }
    const ifNoneMatch = c.req.header('if-none-match')
    const held = CATALOG_ENCODINGS.map((form) => catalogEtag(signed.blake3, form))
    if (held.some((etag) => matchesIfNoneMatch(ifNoneMatch, etag))) {
      return c.body(null, 304, headers)
    }
    const sent: Record<string, string> = { ...headers, 'content-type': 'application/json' }
    if (encoding !== 'identity') sent['content-encoding'] = encoding
    const body = await encoder.bodyOf(signed, encoding)
    return c.body(body as Uint8Array<ArrayBuffer>, 200, sent)
  })

  app.get('/v1/apps', (c) => {
    readQuery(c)
    return c.json({ apps: catalog.current().catalog.apps.map(summarizeEntry) })
  })

  // `:id` is an app address: a bare id, or `id@<publisher did>` for one publisher's app.
  app.get('/v1/apps/:id', (c) => {
    readQuery(c)
    const { id, did } = parseParams(AppAddressParam, c.req.param()).id
    const byPublisher = (publisher: { did: string }): boolean => !did || publisher.did === did
    const entries = catalog
      .current()
      .catalog.apps.filter((entry) => entry.id === id && byPublisher(entry.publisher))
    const releases = releasesOf(id, did).map(summarizeRelease)
    const rejections = did ? [] : store.rejections({ appId: id })
    if (entries.length === 0 && releases.length === 0 && rejections.length === 0) {
      throw notFound(`app ${c.req.param('id')} has no releases or rejections here`)
    }
    return c.json({ id, ...(did && { publisher: did }), entries, releases, rejections })
  })

  app.get('/v1/apps/:id/releases', (c) => {
    readQuery(c)
    const { id, did } = parseParams(AppAddressParam, c.req.param()).id
    const releases = releasesOf(id, did)
    if (releases.length === 0 && (did || store.rejections({ appId: id }).length === 0)) {
      throw notFound(`app ${c.req.param('id')} has no releases or rejections here`)
    }
    return c.json({ id, ...(did && { publisher: did }), releases })
  })

  function releasesOf(id: string, did: string | undefined): ReleaseRecord[] {
    const all = store.releasesOf(id).reverse()
    return did ? all.filter((record) => record.publisher.did === did) : all
  }

  app.get('/v1/rejections', (c) => {
    readQuery(c, ['limit'])
    const limit = parseParams(LimitQuery, c.req.query()).limit ?? 100
    return c.json({ rejections: store.rejections({ limit }) })
  })

  app.get('/v1/events/:id/verdict', (c) => {
    readQuery(c)
    const { id } = parseParams(EventIdParam, c.req.param())
    const verdict = indexer.verdictFor(id)
    if (!verdict) {
      throw notFound(
        `no release event ${id} is stored here (the registry judges kind ${RELEASE_KIND} ` +
          `events whose d tag starts with ${RELEASE_D_PREFIX})`,
      )
    }
    return c.json(verdict)
  })

  // The API is read-only: other methods on its paths get 405 naming the ones that apply.
  app.on(['POST', 'PUT', 'DELETE', 'PATCH'], API_PATHS, (c) => {
    c.header('allow', 'GET, HEAD')
    throw methodNotAllowed(c.req.method, 'GET or HEAD')
  })
  app.on('OPTIONS', API_PATHS, answerOptions('GET, HEAD'))

  // The pages come before the blob routes, whose paths may take any segment.
  addWebRoutes(app, { catalog, store })
  documentPageRoutes(app)
  addBlobRoutes(app, options)
  addBlossomRoutes(app, options)
  return app
}

function summarizeEntry(entry: RegistryCatalogEntry): Record<string, unknown> {
  const release = entry.release as ReleaseDocument
  const manifest = (release.manifests[0]?.app ?? {}) as Record<string, unknown>
  return {
    id: entry.id,
    ...(entry.address ? { address: entry.address } : {}),
    name: manifest.name,
    description: manifest.description ?? null,
    version: entry.version,
    publisher: entry.publisher,
    trust: entry.trust,
    event_id: entry.event_id,
    published_at: release.published_at,
  }
}

function summarizeRelease(record: ReleaseRecord): Omit<ReleaseRecord, 'release'> {
  const { release: _release, ...summary } = record
  return summary
}
