// Client messages beyond NIP-01's three: AUTH (NIP-42), COUNT (NIP-45) and the NEG-* messages of
// NIP-77. Only the envelope is checked here; events, filters and payloads have their own modules.
import { ValidationError } from '../src/errors.js'

export type ExtensionMessage =
  | { type: 'AUTH'; event: unknown }
  | { type: 'COUNT'; subscriptionId: string; filters: unknown[] }
  | { type: 'NEG-OPEN'; subscriptionId: string; filter: unknown; message: string }
  | { type: 'NEG-MSG'; subscriptionId: string; message: string }
  | { type: 'NEG-CLOSE'; subscriptionId: string }

export const EXTENSION_TYPES: ReadonlySet<string> = new Set([
  'AUTH',
  'COUNT',
  'NEG-OPEN',
  'NEG-MSG',
  'NEG-CLOSE',
])

/** Reads the elements after the type of an extension message; throws ValidationError. */
export function parseExtensionMessage(type: string, rest: unknown[]): ExtensionMessage {
  if (type === 'AUTH') {
    if (rest.length !== 1) throw new ValidationError('', 'AUTH takes exactly one event')
    return { type, event: rest[0] }
  }
  if (type === 'COUNT') {
    const [subscriptionId, ...filters] = rest
    return { type, subscriptionId: readId(type, subscriptionId), filters }
  }
  if (type === 'NEG-OPEN') {
    if (rest.length !== 3) {
      throw new ValidationError('', 'NEG-OPEN takes a subscription id, a filter and a message')
    }
    const [subscriptionId, filter, message] = rest
    return {
      type,
      subscriptionId: readId(type, subscriptionId),
      filter,
      message: readHex(type, message),
    }
  }
  if (type === 'NEG-MSG') {
    if (rest.length !== 2)
      throw new ValidationError('', 'NEG-MSG takes a subscription id and a message')
    return { type, subscriptionId: readId(type, rest[0]), message: readHex(type, rest[1]) }
  }
  if (type === 'NEG-CLOSE') {
    if (rest.length !== 1)
      throw new ValidationError('', 'NEG-CLOSE takes exactly one subscription id')
    return { type: 'NEG-CLOSE', subscriptionId: readId(type, rest[0]) }
  }
  throw new ValidationError('', `unknown message type ${JSON.stringify(type.slice(0, 32))}`)
}

function readId(type: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw new ValidationError('', `${type} needs a subscription id string as its second element`)
  }
  return value
}

function readHex(type: string, value: unknown): string {
  if (typeof value !== 'string') throw new ValidationError('', `${type} needs a hex message string`)
  return value
}
