// The address a connection is rate-limited under: the peer, or behind a loopback proxy the last
// X-Forwarded-For hop, table-driven.
import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { readClientAddress } from '../../relay/client-address.js'

function requestFrom(peer: string | undefined, forwarded?: string | string[]): IncomingMessage {
  const headers = forwarded === undefined ? {} : { 'x-forwarded-for': forwarded }
  return { socket: { remoteAddress: peer }, headers } as unknown as IncomingMessage
}

describe('readClientAddress', () => {
  it.each([
    ['a remote peer', '203.0.113.7', undefined, '203.0.113.7'],
    ['a remote peer forging the header', '203.0.113.7', '198.51.100.1', '203.0.113.7'],
    ['a loopback peer without the header', '127.0.0.1', undefined, '127.0.0.1'],
    ['a loopback proxy', '127.0.0.1', '198.51.100.1', '198.51.100.1'],
    ['an IPv6 loopback proxy', '::1', '2001:db8::5', '2001:db8::5'],
    ['an IPv4-mapped loopback proxy', '::ffff:127.0.0.1', '198.51.100.1', '198.51.100.1'],
    ['a proxy after a forged hop', '127.0.0.1', '10.9.9.9, 198.51.100.1', '198.51.100.1'],
    ['a repeated header', '127.0.0.1', ['10.9.9.9', '198.51.100.2'], '198.51.100.2'],
    ['a header that is no address', '127.0.0.1', 'unknown', '127.0.0.1'],
    ['no peer address', undefined, undefined, ''],
  ])('counts %s as its client', (_name, peer, forwarded, expected) => {
    expect(readClientAddress(requestFrom(peer, forwarded))).toBe(expected)
  })
})
