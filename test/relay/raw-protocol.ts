// NIP-01 exchanges over a raw client (test/relay/harness.ts): an EVENT and its OK, a REQ and
// everything up to its EOSE or CLOSED, so tests assert the exact frames the relay sends.
import { expect } from 'vitest'
import type { NostrEvent } from 'nostr-tools/pure'
import type { RawClient } from './harness.js'

export interface RequestAnswer {
  events: NostrEvent[]
  /** The frame that ended the stored events: `['EOSE', id]` or `['CLOSED', id, reason]`. */
  end: unknown[]
}

/** Sends `event` and returns the relay's OK frame. */
export async function publishRaw(client: RawClient, event: unknown): Promise<unknown[]> {
  client.send(JSON.stringify(['EVENT', event]))
  return client.next()
}

/** Sends `event` and fails unless the relay answers OK true. */
export async function expectOk(client: RawClient, event: NostrEvent): Promise<void> {
  expect(await publishRaw(client, event)).toEqual(['OK', event.id, true, expect.any(String)])
}

/**
 * Sends a REQ and collects its events until EOSE or CLOSED, then CLOSEs it unless `live`; other
 * frames fail the test.
 */
export async function requestRaw(
  client: RawClient,
  id: string,
  filters: unknown[],
  options: { live?: boolean } = {},
): Promise<RequestAnswer> {
  client.send(JSON.stringify(['REQ', id, ...filters]))
  const events: NostrEvent[] = []
  for (;;) {
    const message = await client.next()
    if (message[0] === 'EVENT' && message[1] === id) events.push(message[2] as NostrEvent)
    else if ((message[0] === 'EOSE' || message[0] === 'CLOSED') && message[1] === id) {
      if (message[0] === 'EOSE' && options.live !== true) client.send(JSON.stringify(['CLOSE', id]))
      return { events, end: message }
    } else throw new Error(`unexpected frame ${JSON.stringify(message).slice(0, 200)}`)
  }
}
