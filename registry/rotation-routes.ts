// `GET /v1/rotations` (DESIGN.md §4, "Key rotation"): every rotation statement of the operator
// key, oldest first, the same chain every catalog embeds as `rotations`.
import type { KeyRotation } from '../src/release/key-rotation.js'
import { Rotations } from './api-bodies.js'
import type { RegistryApp } from './blob-routes.js'
import { answerOptions, methodNotAllowed } from './http-errors.js'
import { readQuery } from './http-query.js'

/** Adds the route to the registry's app and to its OpenAPI document. */
export function addRotationRoutes(app: RegistryApp, rotations: KeyRotation[]): void {
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/rotations',
    summary: 'Every rotation of the operator key, oldest first, each signed by both keys',
    responses: {
      200: {
        description: 'The rotation statements',
        content: { 'application/json': { schema: Rotations } },
      },
    },
  })
  app.get('/v1/rotations', (c) => {
    readQuery(c)
    return c.json({ rotations })
  })
  app.on(['POST', 'PUT', 'DELETE', 'PATCH'], '/v1/rotations', (c) => {
    c.header('allow', 'GET, HEAD')
    throw methodNotAllowed(c.req.method, 'GET or HEAD')
  })
  app.options('/v1/rotations', answerOptions('GET, HEAD'))
}
