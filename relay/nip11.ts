// NIP-11 relay information: recognising the request, the document, and writing the response for
// a node's HTTP server (node:http or fetch-style, such as Hono).
import type { IncomingMessage, ServerResponse } from 'node:http'
import { describeLimits } from './limits.js'
import type { RelayLimits } from './limits.js'
import type { Relay, RelayInfo } from './types.js'

const MEDIA_TYPE = 'application/nostr+json'

/** NIP-11 asks relays to allow any origin, so browser clients can read the document. */
export const INFO_RESPONSE_HEADERS: Record<string, string> = {
  'content-type': `${MEDIA_TYPE}; charset=utf-8`,
  'access-control-allow-origin': '*',
  'access-control-allow-headers': '*',
  'access-control-allow-methods': 'GET, OPTIONS',
}

/** The NIP-11 document for `info` and `limits`; `restrictedWrites` as in describeLimits. */
export function buildInfoDocument(
  info: RelayInfo,
  limits: RelayLimits,
  restrictedWrites: boolean,
): Record<string, unknown> {
  const document: Record<string, unknown> = { name: info.name, description: info.description }
  if (info.pubkey !== undefined) document.pubkey = info.pubkey
  if (info.contact !== undefined) document.contact = info.contact
  return {
    ...document,
    supported_nips: [1, 9, 11, 40, 42, 45, 50, 70, 77],
    software: info.software,
    version: info.version,
    limitation: describeLimits(limits, restrictedWrites),
  }
}

/** True for `GET /` whose Accept header lists `application/nostr+json`. */
export function isInfoRequest(request: IncomingMessage): boolean {
  if (request.method !== 'GET') return false
  const path = (request.url ?? '/').split('?')[0]
  if (path !== '/') return false

  const accept = request.headers.accept ?? ''
  return accept.split(',').some((entry) => entry.split(';')[0]?.trim() === MEDIA_TYPE)
}

/** Writes the relay's NIP-11 document as a complete node:http response. */
export function writeInfoResponse(relay: Relay, response: ServerResponse): void {
  const body = JSON.stringify(relay.infoDocument())
  response.writeHead(200, { ...INFO_RESPONSE_HEADERS, 'content-length': Buffer.byteLength(body) })
  response.end(body)
}

/** The relay's NIP-11 document as a fetch-style Response, for Hono and similar routers. */
export function createInfoResponse(relay: Relay): Response {
  return new Response(JSON.stringify(relay.infoDocument()), { headers: INFO_RESPONSE_HEADERS })
}
