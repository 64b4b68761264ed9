// The JSON API's entries in `/v1/openapi.json`, from the schemas its handlers parse with
// (`parseParams`) and the bodies they answer with (api-bodies.ts), and the document itself.
// Blob and Blossom routes document themselves.
import { z } from '@hono/zod-openapi'

import { parseAppAddress } from '../src/release/app-address.js'
import { App, AppList, Catalog, Rejections, Releases, Verdict } from './api-bodies.js'
import { ErrorBody, Health, LimitQuery, toValidationError } from './api-schemas.js'
import type { RegistryApp } from './blob-routes.js'

/** `:id` of the app routes: a bare id or `id@<publisher did>`, checked as the CLI checks it. */
export const AppAddressParam = z.object({
  id: z
    .string()
    .transform((text) => parseAppAddress(text, 'id'))
    .openapi({ param: { name: 'id', in: 'path' }, example: 'photo-vault', type: 'string' }),
})

export const EventIdParam = z.object({
  id: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be an event id: 64 lowercase hex characters')
    .openapi({ param: { name: 'id', in: 'path' } }),
})

/** Parses route input with one of the schemas above; a failure is a 400 naming the field. */
export function parseParams<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value)
  if (!result.success) throw toValidationError(result.error)
  return result.data
}

const json = (schema: z.ZodType): { 'application/json': { schema: z.ZodType } } => ({
  'application/json': { schema },
})
const notFound = { description: 'Unknown here', content: json(ErrorBody) }
const invalid = { description: 'A bad parameter, named', content: json(ErrorBody) }

/** Registers the JSON API's paths in `app`'s OpenAPI registry. */
export function documentApiRoutes(app: RegistryApp): void {
  const registry = app.openAPIRegistry
  const get = (
    path: string,
    summary: string,
    ok: { description: string; content?: object },
    extra: { request?: object; responses?: Record<number, object> } = {},
  ): void =>
    registry.registerPath({
      method: 'get',
      path,
      summary,
      ...(extra.request ? { request: extra.request } : {}),
      responses: { 200: ok, ...extra.responses },
    })

  get('/healthz', 'Liveness', { description: 'Serving', content: json(Health) })
  get('/metrics', 'Prometheus metrics (text exposition format)', { description: 'Metrics' })
  get('/v1/openapi.json', 'This document', { description: 'OpenAPI 3.1' })
  get(
    '/v1/catalog',
    'The signed catalog; ETag, If-None-Match gives 304',
    { description: 'The catalog', content: json(Catalog) },
    { responses: { 304: { description: 'Unchanged' } } },
  )
  get('/v1/apps', 'App summaries, one per catalog entry', {
    description: 'Apps',
    content: json(AppList),
  })
  get(
    '/v1/apps/{id}',
    'One app: catalog entries, releases and rejections',
    { description: 'The app', content: json(App) },
    { request: { params: AppAddressParam }, responses: { 400: invalid, 404: notFound } },
  )
  get(
    '/v1/apps/{id}/releases',
    'Every verified release of an app, newest first',
    { description: 'Releases', content: json(Releases) },
    { request: { params: AppAddressParam }, responses: { 400: invalid, 404: notFound } },
  )
  get(
    '/v1/rejections',
    'Rejected events with their reasons, newest first',
    { description: 'Rejections', content: json(Rejections) },
    { request: { query: LimitQuery }, responses: { 400: invalid } },
  )
  get(
    '/v1/events/{id}/verdict',
    'The verdict on one release event',
    {
      description: 'accepted, or rejected with the reason',
      content: json(Verdict),
    },
    { request: { params: EventIdParam }, responses: { 400: invalid, 404: notFound } },
  )
}

/** The OpenAPI 3.1 document of everything registered on `app`. */
export function openApiDocument(app: RegistryApp, version: string): unknown {
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Archipelago registry',
      version,
      description: 'Signed catalog, releases, rejections and artifacts (Blossom-compatible)',
    },
  })
}
