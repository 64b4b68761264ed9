// Query parameters on the HTTP edge: every route names the ones it takes, and anything else, or
// one given twice, is a 400 naming it, so a typo is never silently ignored.
import type { Context } from 'hono'
import { routePath } from 'hono/route'

import { ValidationError } from '../src/errors.js'

/** The query parameters an endpoint takes, each at most once; any other is refused by name. */
export function readQuery(c: Context, known: string[] = []): Record<string, string | undefined> {
  const found: Record<string, string | undefined> = {}
  for (const [name, values] of Object.entries(c.req.queries())) {
    const field = name.length > 64 ? `${name.slice(0, 64)}...` : name
    if (!known.includes(name)) {
      const takes = known.length > 0 ? `it takes ${known.join(', ')}` : 'it takes none'
      const endpoint = `${c.req.method} ${routePath(c)}`
      throw new ValidationError(field, `is not a query parameter of ${endpoint}; ${takes}`)
    }
    if (values.length > 1) {
      throw new ValidationError(field, `must be given once, not ${values.length} times`)
    }
    found[name] = values[0]
  }
  return found
}
