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

/**
 * The relay's `limitation.max_message_length` from its NIP-11 document at the registry URL, or
 * undefined when it does not say. An unreachable registry throws.
 */
export async function fetchMaxMessageLength(registryUrl: string): Promise<number | undefined> {
  let response: Response
  try {
    response = await fetch(new URL('/', registryUrl), {
      headers: { accept: 'application/nostr+json' },
      signal: AbortSignal.timeout(10_000),
    })
  } catch (error) {
    const origin = new URL(registryUrl).origin
    throw new ArchyError('registry-unreachable', `cannot reach ${origin}`, { cause: error })
  }
  if (!response.ok) return undefined
  try {
    const info = (await response.json()) as { limitation?: { max_message_length?: unknown } }
    const limit = info.limitation?.max_message_length
    return Number.isSafeInteger(limit) && (limit as number) > 0 ? (limit as number) : undefined
  } catch {
    return undefined
  }
}
