// Query parameters on the HTTP edge: every route names the ones it takes, and anything else, or
// one given twice, is a 400 naming it, so a typo is never silently ignored.
import type { Context } from 'hono'
import { routePath } from 'hono/route'

import { ValidationError } from '../src/errors.js'
import { readableRoute } from './route-name.js'

/** The query parameters an endpoint takes, each at most once; any other is refused by name. */
export function readQuery(c: Context, known: string[] = []): Record<string, string | undefined> {
  // From the raw URL: Hono's parser drops a parameter with an empty name (`?=5`).
  const params = new URL(c.req.url).searchParams
  const found: Record<string, string | undefined> = {}
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name)
    const field = name === '' ? 'query' : name.length > 64 ? `${name.slice(0, 64)}...` : name
    if (!known.includes(name)) {
      const takes = known.length > 0 ? `it takes ${known.join(', ')}` : 'it takes none'
      const endpoint = `${c.req.method} ${readableRoute(routePath(c))}`
      const what = name === '' ? 'a parameter with an empty name is' : 'is'
      throw new ValidationError(field, `${what} not a query parameter of ${endpoint}; ${takes}`)
    }
    if (values.length > 1) {
      throw new ValidationError(field, `must be given once, not ${values.length} times`)
    }
    found[name] = values[0]
  }
  return found
}
