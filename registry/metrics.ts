// Prometheus metrics at `/metrics` (prom-client): the process's defaults, HTTP requests by route
// pattern and status, and the artifact store. One registry per node, so tests can run several.
import type { HttpBindings } from '@hono/node-server'
import type { Context, MiddlewareHandler } from 'hono'
import { routePath } from 'hono/route'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

import { readableRoute } from './route-name.js'

export interface RegistryMetrics {
  registry: Registry
  /** Counts and times every request; mount it first. */
  middleware: MiddlewareHandler<{ Bindings: HttpBindings }>
  blobsCollected: Counter
  blobBytesStored: Gauge
}

/** Metrics for one node; `prefix` names them (`archy_http_requests_total`). */
export function createMetrics(prefix = 'archy_'): RegistryMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix })

  const requests = new Counter({
    name: `${prefix}http_requests_total`,
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  })
  const duration = new Histogram({
    name: `${prefix}http_request_duration_seconds`,
    help: 'Time to the response headers, by method and route pattern',
    labelNames: ['method', 'route'],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  })
  const blobsCollected = new Counter({
    name: `${prefix}blobs_collected_total`,
    help: 'Unreferenced blobs removed by garbage collection',
    registers: [registry],
  })
  const blobBytesStored = new Gauge({
    name: `${prefix}blob_bytes_stored`,
    help: 'Bytes of blobs on disk (exact at each garbage collection, kept by uploads and deletes)',
    registers: [registry],
  })

  const middleware: MiddlewareHandler<{ Bindings: HttpBindings }> = async (c, next) => {
    const started = performance.now()
    await next()
    // The route pattern, never the raw path: digests and ids would explode the label set.
    const route = readableRoute(routePath(c) || 'unmatched')
    const labels = { method: c.req.method, route }
    duration.observe(labels, (performance.now() - started) / 1000)
    requests.inc({ ...labels, status: String(statusOf(c)) })
  }
  return { registry, middleware, blobsCollected, blobBytesStored }
}

/** The status sent: a blob written straight to Node's response has it there. */
export function statusOf(c: Context<{ Bindings: HttpBindings }>): number {
  const outgoing = c.env?.outgoing
  return outgoing?.headersSent ? outgoing.statusCode : c.res.status
}
