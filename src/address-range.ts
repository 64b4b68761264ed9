// An IP address or a CIDR range (`10.88.0.0/16`, `fd00::/8`), as the operator lists trusted
// proxies; node:net's BlockList does the matching, IPv4-mapped IPv6 peers included.
import { BlockList, isIP } from 'node:net'

export interface AddressRange {
  address: string
  family: 'ipv4' | 'ipv6'
  /** The prefix length; undefined for a single address. */
  prefix?: number
}

/** The range `text` names, or undefined when it is neither an address nor address/prefix. */
export function parseAddressRange(text: string): AddressRange | undefined {
  const [address = '', prefix, extra] = text.split('/')
  const version = isIP(address)
  if (version === 0 || extra !== undefined) return undefined
  const family = version === 6 ? 'ipv6' : 'ipv4'
  if (prefix === undefined) return { address, family }
  const bits = Number(prefix)
  const max = version === 6 ? 128 : 32
  if (!/^\d{1,3}$/.test(prefix) || bits > max) return undefined
  return { address, family, prefix: bits }
}

/** A matcher of every listed address and range; entries must have passed parseAddressRange. */
export function buildAddressList(entries: readonly string[]): BlockList {
  const list = new BlockList()
  for (const entry of entries) {
    const range = parseAddressRange(entry)
    if (!range) throw new TypeError(`not an address or range: ${entry}`)
    if (range.prefix === undefined) list.addAddress(range.address, range.family)
    else list.addSubnet(range.address, range.prefix, range.family)
  }
  return list
}

/** Whether `address` (a peer's, perhaps IPv4-mapped) falls in the list. */
export function inAddressList(list: BlockList, address: string): boolean {
  const version = isIP(address)
  return version !== 0 && list.check(address, version === 6 ? 'ipv6' : 'ipv4')
}
