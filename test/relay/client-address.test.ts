// The address a connection is rate-limited under: the peer, or behind a proxy the operator
// trusts the last X-Forwarded-For hop, table-driven.
import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { readClientAddress } from '../../relay/client-address.js'
import { buildAddressList, parseAddressRange } from '../../src/address-range.js'

function requestFrom(peer: string | undefined, forwarded?: string | string[]): IncomingMessage {
  const headers = forwarded === undefined ? {} : { 'x-forwarded-for': forwarded }
  return { socket: { remoteAddress: peer }, headers } as unknown as IncomingMessage
}

describe('readClientAddress', () => {
  const trusted = buildAddressList(['127.0.0.1', '::1', '10.88.0.1', '172.16.0.0/12', 'fd00::/8'])

  it.each([
    ['a remote peer', '203.0.113.7', undefined, '203.0.113.7'],
    ['a remote peer forging the header', '203.0.113.7', '198.51.100.1', '203.0.113.7'],
    ['a trusted proxy without the header', '127.0.0.1', undefined, '127.0.0.1'],
    ['a trusted loopback proxy', '127.0.0.1', '198.51.100.1', '198.51.100.1'],
    ['a trusted IPv6 loopback proxy', '::1', '2001:db8::5', '2001:db8::5'],
    ['an IPv4-mapped trusted proxy', '::ffff:127.0.0.1', '198.51.100.1', '198.51.100.1'],
    ['a trusted proxy off loopback', '10.88.0.1', '198.51.100.3', '198.51.100.3'],
    ['a loopback peer not listed', '127.0.0.2', '198.51.100.1', '127.0.0.2'],
    ['a proxy inside a listed IPv4 range', '172.20.3.4', '198.51.100.4', '198.51.100.4'],
    ['an IPv4-mapped proxy inside a range', '::ffff:172.31.255.1', '198.51.100.5', '198.51.100.5'],
    ['a peer just outside that range', '172.32.0.1', '198.51.100.4', '172.32.0.1'],
    ['a proxy inside a listed IPv6 range', 'fd12::7', '2001:db8::9', '2001:db8::9'],
    ['a proxy after a forged hop', '127.0.0.1', '10.9.9.9, 198.51.100.1', '198.51.100.1'],
    ['a repeated header', '127.0.0.1', ['10.9.9.9', '198.51.100.2'], '198.51.100.2'],
    ['a header that is no address', '127.0.0.1', 'unknown', '127.0.0.1'],
    ['no peer address', undefined, undefined, ''],
  ])('counts %s as its client', (_name, peer, forwarded, expected) => {
    expect(readClientAddress(requestFrom(peer, forwarded), trusted)).toBe(expected)
  })

  // The default: no proxy is trusted, so a local client cannot choose its own bucket.
  it.each([
    ['a loopback peer', '127.0.0.1'],
    ['an IPv6 loopback peer', '::1'],
    ['an IPv4-mapped loopback peer', '::ffff:127.0.0.1'],
  ])('ignores X-Forwarded-For from %s when no proxy is trusted', (_name, peer) => {
    expect(readClientAddress(requestFrom(peer, '198.51.100.1'))).toBe(peer)
  })
})

describe('parseAddressRange', () => {
  it.each([
    ['127.0.0.1', { address: '127.0.0.1', family: 'ipv4' }],
    ['10.88.0.0/16', { address: '10.88.0.0', family: 'ipv4', prefix: 16 }],
    ['0.0.0.0/0', { address: '0.0.0.0', family: 'ipv4', prefix: 0 }],
    ['fd00::/8', { address: 'fd00::', family: 'ipv6', prefix: 8 }],
    ['::1/128', { address: '::1', family: 'ipv6', prefix: 128 }],
  ])('reads %s', (text, expected) => {
    expect(parseAddressRange(text)).toEqual(expected)
  })

  it.each([
    '',
    'localhost',
    '10.0.0.0/33',
    '::/129',
    '10.0.0.0/',
    '10.0.0.0/8/8',
    '10.0.0.0/-1',
    '10.0.0.0/x',
  ])('refuses %j', (text) => {
    expect(parseAddressRange(text)).toBeUndefined()
  })
})
