// `GET /v1/rotations` (DESIGN.md §4, "Key rotation"): every rotation statement of the operator
// key, oldest first, the same chain every catalog embeds as `rotations`.
import type { HttpBindings } from '@hono/node-server'
import type { Hono } from 'hono'

import type { KeyRotation } from '../src/release/key-rotation.js'
import { methodNotAllowed } from './http-errors.js'
import { readQuery } from './http-query.js'

/** Adds the route to the registry's app. */
export function addRotationRoutes(
  app: Hono<{ Bindings: HttpBindings }>,
  rotations: KeyRotation[],
): void {
  app.get('/v1/rotations', (c) => {
    readQuery(c)
    return c.json({ rotations })
  })
  app.on(['POST', 'PUT', 'DELETE', 'PATCH'], '/v1/rotations', (c) => {
    c.header('allow', 'GET, HEAD')
    throw methodNotAllowed(c.req.method, 'GET or HEAD')
  })
}
