// The address a rate limit counts a connection under: the socket's peer, or, when that peer is a
// reverse proxy the operator named (setting trusted_proxies, addresses or CIDR ranges; nginx on
// loopback in deploy/registry/nginx.conf), the client the proxy put last in X-Forwarded-For. From
// any other peer the header is ignored, since a client could forge it and choose its own bucket.
import type { IncomingMessage } from 'node:http'
import { BlockList, isIP } from 'node:net'

import { inAddressList } from '../src/address-range.js'

/** The client's IP address: the socket's peer, or a trusted proxy's last X-Forwarded-For hop. */
export function readClientAddress(
  request: IncomingMessage,
  trustedProxies: BlockList = new BlockList(),
): string {
  const peer = request.socket.remoteAddress ?? ''
  if (!inAddressList(trustedProxies, peer)) return peer

  // The last entry is the one the proxy added; earlier ones came from the client.
  const header = request.headers['x-forwarded-for']
  const value = Array.isArray(header) ? header.at(-1) : header
  const forwarded = value?.split(',').at(-1)?.trim() ?? ''
  return isIP(forwarded) ? forwarded : peer
}
