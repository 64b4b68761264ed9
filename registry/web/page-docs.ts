// The marketplace pages' entries in `/v1/openapi.json`: text/html answers, their parameters as
// the page readers (app-listing.ts, routes.ts) check them, so API clients see every route.
import { z } from '@hono/zod-openapi'

import type { RegistryApp } from '../blob-routes.js'
import { MAX_CATEGORY, MAX_QUERY, TRUST_BANDS } from './app-listing.js'

const html = { 'text/html': { schema: z.string() } }
const badRequest = { description: 'A page naming the bad parameter and the rule', content: html }

const ListQuery = z.object({
  q: z.string().max(MAX_QUERY).optional().openapi({ description: 'Words that must all appear' }),
  category: z.string().max(MAX_CATEGORY).optional(),
  trust: z.enum(TRUST_BANDS).optional(),
  page: z
    .string()
    .regex(/^[1-9]\d{0,5}$/)
    .optional()
    .openapi({ description: 'From 1' }),
})

const AddressParam = z.object({
  address: z
    .string()
    .openapi({ param: { name: 'address', in: 'path' }, example: 'photo-vault', type: 'string' }),
})

const RejectionsQuery = z.object({
  app: z.string().optional().openapi({ description: 'An app id: only its rejections' }),
  limit: z.string().regex(/^\d+$/).optional().openapi({ description: '1-1000, default 100' }),
})

/** Registers `/`, `/apps/{address}` and `/rejections` in `app`'s OpenAPI registry. */
export function documentPageRoutes(app: RegistryApp): void {
  const registry = app.openAPIRegistry
  registry.registerPath({
    method: 'get',
    path: '/',
    summary: 'The marketplace page: apps with search, category and trust band filters',
    request: { query: ListQuery },
    responses: { 200: { description: 'The page', content: html }, 400: badRequest },
  })
  registry.registerPath({
    method: 'get',
    path: '/apps/{address}',
    summary: "An app's page; the address is an id or id@<publisher did>",
    request: { params: AddressParam },
    responses: {
      200: { description: 'The page', content: html },
      400: badRequest,
      404: { description: "Not in this registry's catalog", content: html },
    },
  })
  registry.registerPath({
    method: 'get',
    path: '/rejections',
    summary: 'The rejections page: refused events with their reasons, newest first',
    request: { query: RejectionsQuery },
    responses: { 200: { description: 'The page', content: html }, 400: badRequest },
  })
}
