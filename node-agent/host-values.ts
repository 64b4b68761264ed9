// The host's placeholder values (DESIGN.md §4): {{HOST_IP}} from --host-ip or the default route's
// interface, {{HOST_MDNS}} as `<hostname>.local`.
import { readFile } from 'node:fs/promises'
import { hostname, networkInterfaces } from 'node:os'
import { isIPv4 } from 'node:net'

import { ValidationError } from '../src/errors.js'

/** The values for HOST_IP (when one is known) and HOST_MDNS. */
export async function detectHostValues(
  hostIp?: string,
): Promise<{ HOST_IP?: string; HOST_MDNS: string }> {
  if (hostIp !== undefined && !isIPv4(hostIp)) {
    throw new ValidationError('--host-ip', `"${hostIp}" is not an IPv4 address`)
  }
  const ip = hostIp ?? (await findDefaultRouteAddress())
  return { ...(ip !== undefined && { HOST_IP: ip }), HOST_MDNS: `${hostname()}.local` }
}

/** The IPv4 address of the interface that carries the default route, from /proc/net/route. */
export async function findDefaultRouteAddress(): Promise<string | undefined> {
  let table: string
  try {
    table = await readFile('/proc/net/route', 'utf8')
  } catch {
    return undefined
  }
  const iface = parseDefaultRouteInterface(table)
  if (iface === undefined) return undefined
  return networkInterfaces()[iface]?.find((address) => address.family === 'IPv4')?.address
}

/** The interface of the first default route (destination 00000000) in a /proc/net/route table. */
export function parseDefaultRouteInterface(table: string): string | undefined {
  for (const line of table.split('\n').slice(1)) {
    const [iface, destination] = line.trim().split(/\s+/)
    if (iface && destination === '00000000') return iface
  }
  return undefined
}
