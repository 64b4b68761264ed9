// The address a rate limit counts a connection under. Behind a reverse proxy on the same host
// (deploy/registry/nginx.conf) every peer is loopback, so there the proxy's X-Forwarded-For names
// the client; from any other peer the header is ignored, since a client could forge it.
import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/

/** The client's IP address: the socket's peer, or the proxy's last X-Forwarded-For hop. */
export function readClientAddress(request: IncomingMessage): string {
  const peer = request.socket.remoteAddress ?? ''
  if (!LOOPBACK.test(peer)) return peer

  // The last entry is the one the proxy added; earlier ones came from the client.
  const header = request.headers['x-forwarded-for']
  const value = Array.isArray(header) ? header.at(-1) : header
  const forwarded = value?.split(',').at(-1)?.trim() ?? ''
  return isIP(forwarded) ? forwarded : peer
}
