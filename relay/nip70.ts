// Who may write an event: NIP-70 protected events (a `["-"]` tag) come only from their author,
// authenticated on the connection (NIP-42), and an operator can require that of every write.
import type { NostrEvent } from 'nostr-tools/pure'

/** Where an EVENT came from: a client connection and the keys authenticated on it. */
export interface PublishOrigin {
  authenticated: ReadonlySet<string>
}

export interface WriteAuthOptions {
  /** Accept events from connections only when their author has authenticated (NIP-42). */
  requireAuthForWrites: boolean
}

/** True when the event carries the NIP-70 `["-"]` tag. */
export function isProtectedEvent(event: NostrEvent): boolean {
  return event.tags.some((tag) => tag.length === 1 && tag[0] === '-')
}

/**
 * The refusal for `event` arriving from `origin` (undefined: a local publish by the node itself,
 * including what it ingests from upstream relays), or null when it may be written.
 */
export function checkWriteAuth(
  event: NostrEvent,
  origin: PublishOrigin | undefined,
  options: WriteAuthOptions,
): string | null {
  const protectedEvent = isProtectedEvent(event)
  if (origin === undefined) {
    // Nobody authenticated a local publish, so a protected event cannot pass (NIP-70).
    if (!protectedEvent) return null
    return 'blocked: a protected event (NIP-70) is accepted only from its authenticated author'
  }
  if (!protectedEvent && !options.requireAuthForWrites) return null
  if (origin.authenticated.has(event.pubkey)) return null

  const prefix = origin.authenticated.size === 0 ? 'auth-required' : 'restricted'
  if (protectedEvent) {
    return `${prefix}: this event is protected (NIP-70): only its author may publish it, after AUTH`
  }
  return `${prefix}: this relay accepts events only from authors that authenticated (NIP-42)`
}
