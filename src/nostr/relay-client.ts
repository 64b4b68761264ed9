// Publishing one event to a relay and waiting for its OK (NIP-01), through nostr-tools' Relay
// with the `ws` package as Node's WebSocket.
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay'
import WebSocket from 'ws'

import { ArchyError } from '../errors.js'
import type { NostrEvent } from './event.js'

useWebSocketImplementation(WebSocket)

export interface RelayAnswer {
  accepted: boolean
  /** The relay's message, with its NIP-01 prefix when it refused. */
  message: string
}

/** Sends an event and returns the relay's OK answer; connection failures throw. */
export async function publishToRelay(
  url: string,
  event: NostrEvent,
  timeoutMs = 10_000,
): Promise<RelayAnswer> {
  let relay: Relay
  try {
    relay = await Relay.connect(url)
  } catch (error) {
    throw new ArchyError('relay-unreachable', `cannot connect to relay ${url}`, { cause: error })
  }
  relay.publishTimeout = timeoutMs
  try {
    const message = await relay.publish(event)
    return { accepted: true, message }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    if (/timed out/i.test(message)) {
      throw new ArchyError('relay-timeout', `relay ${url} did not answer within ${timeoutMs} ms`)
    }
    return { accepted: false, message }
  } finally {
    relay.close()
  }
}

/** The relay URL of a registry: same host and port, ws(s) scheme, path `/`. */
export function relayUrlOf(registryUrl: string): string {
  const url = new URL(registryUrl)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.pathname = '/'
  url.search = ''
  return url.toString()
}
