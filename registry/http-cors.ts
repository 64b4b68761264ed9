// CORS for every route (BUD-01 asks Blossom servers for it): any origin, the methods and headers
// the API and the blob routes use. Set after the handler, never by touching `c.res` before it,
// so a blob written straight to Node's response (blob-serve.ts) stays untouched by Hono.
import type { HttpBindings } from '@hono/node-server'
import type { MiddlewareHandler } from 'hono'

/** Headers every answer carries; blob-serve.ts writes them itself on its direct path. */
export const CORS_HEADERS: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'ETag, Content-Range, Content-Length, Accept-Ranges, Allow',
}

const PREFLIGHT_HEADERS: Record<string, string> = {
  ...CORS_HEADERS,
  'access-control-allow-methods': 'GET, HEAD, PUT, DELETE, OPTIONS',
  'access-control-allow-headers': 'Authorization, Content-Type, If-None-Match, If-Range, Range, *',
  'access-control-max-age': '86400',
}

/** Answers preflight requests and adds CORS_HEADERS to every other answer. */
export function allowCrossOrigin(): MiddlewareHandler<{ Bindings: HttpBindings }> {
  return async (c, next) => {
    if (c.req.method === 'OPTIONS' && c.req.header('access-control-request-method')) {
      return c.body(null, 204, PREFLIGHT_HEADERS)
    }
    await next()
    if (c.env?.outgoing?.headersSent) return
    for (const [name, value] of Object.entries(CORS_HEADERS)) c.res.headers.set(name, value)
  }
}
