// Client-to-relay messages of NIP-01 (EVENT, REQ, CLOSE), read from one text frame. Only the
// envelope is checked here; the event and the filters are checked by their own modules.
import { ValidationError } from '../src/errors.js'
import { EXTENSION_TYPES, parseExtensionMessage } from './extension-messages.js'
import type { ExtensionMessage } from './extension-messages.js'

export type ClientMessage =
  | { type: 'EVENT'; event: unknown }
  | { type: 'REQ'; subscriptionId: string; filters: unknown[] }
  | { type: 'CLOSE'; subscriptionId: string }
  | ExtensionMessage

/** Reads one client message; throws ValidationError saying what is wrong with the envelope. */
export function parseClientMessage(text: string): ClientMessage {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new ValidationError('', 'message is not valid JSON')
  }
  if (!Array.isArray(value) || typeof value[0] !== 'string') {
    throw new ValidationError('', 'message must be a JSON array whose first element is a string')
  }

  const [type, ...rest] = value as [string, ...unknown[]]
  if (type === 'EVENT') {
    if (rest.length !== 1) throw new ValidationError('', 'EVENT takes exactly one event')
    return { type, event: rest[0] }
  }
  if (type === 'REQ') {
    const [subscriptionId, ...filters] = rest
    return { type, subscriptionId: readSubscriptionId(type, subscriptionId), filters }
  }
  if (type === 'CLOSE') {
    if (rest.length !== 1) throw new ValidationError('', 'CLOSE takes exactly one subscription id')
    return { type, subscriptionId: readSubscriptionId(type, rest[0]) }
  }
  if (EXTENSION_TYPES.has(type)) return parseExtensionMessage(type, rest)
  throw new ValidationError('', `unknown message type ${JSON.stringify(type.slice(0, 32))}`)
}

function readSubscriptionId(type: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw new ValidationError('', `${type} needs a subscription id string as its second element`)
  }
  return value
}
