// NIP-42 authentication of clients to relays: the per-connection challenge, the kind 22242 event
// that answers it, and the relay URL comparison, which ignores what does not change the address
// (a trailing slash, the case of the scheme and host, the default port, http(s) for ws(s)).
import { randomBytes } from 'node:crypto'
import { verifyEvent } from 'nostr-tools/pure'
import type { NostrEvent } from 'nostr-tools/pure'
import { ValidationError, VerificationError } from '../src/errors.js'
import { parseEventShape } from './event-shape.js'

export const AUTH_KIND = 22242
/** NIP-42: the created_at of an auth event should be within about ten minutes of now. */
export const DEFAULT_AUTH_WINDOW_SECONDS = 600

/** The authentication state of one connection: its challenge and every key proven on it. */
export interface AuthSession {
  challenge: string
  pubkeys: Set<string>
}

export interface AuthCheck {
  challenge: string
  /** The relay's own URL, as configured or as the client reached it. */
  relayUrl: string
  windowSeconds: number
  now?: number
}

/** A new session with a fresh random challenge. */
export function openAuthSession(): AuthSession {
  return { challenge: randomBytes(16).toString('hex'), pubkeys: new Set() }
}

/**
 * The form of a relay URL that two spellings of one address share: `WSS://Relay.Example:443/`
 * and `wss://relay.example` are equal. Throws ValidationError when it is no ws(s)/http(s) URL.
 */
export function normalizeRelayUrl(text: string): string {
  let url: URL
  try {
    url = new URL(text.trim())
  } catch {
    throw new ValidationError('relay', `is not a URL: ${JSON.stringify(text.slice(0, 200))}`)
  }
  const scheme = { 'ws:': 'ws', 'wss:': 'wss', 'http:': 'ws', 'https:': 'wss' }[url.protocol]
  if (scheme === undefined) {
    throw new ValidationError('relay', `must be a ws:// or wss:// URL, got ${url.protocol}`)
  }
  // URL lower-cases the host and drops the scheme's default port, but knows ws/http defaults
  // apart only by the scheme it parsed, so the port is judged against the mapped scheme.
  const defaultPort = scheme === 'ws' ? '80' : '443'
  const port = url.port === '' || url.port === defaultPort ? '' : `:${url.port}`
  const path = url.pathname.replace(/\/+$/, '')
  return `${scheme}://${url.hostname}${port}${path}${url.search}`
}

/** Checks an AUTH event against the session's challenge; returns it, or throws naming the rule. */
export function verifyAuthEvent(input: unknown, check: AuthCheck): NostrEvent {
  const event = parseEventShape(input)
  if (event.kind !== AUTH_KIND) {
    throw new ValidationError('kind', `an AUTH event must be kind ${AUTH_KIND}, got ${event.kind}`)
  }

  const now = check.now ?? Math.floor(Date.now() / 1000)
  if (Math.abs(event.created_at - now) > check.windowSeconds) {
    throw new ValidationError(
      'created_at',
      `must be within ${check.windowSeconds} seconds of the relay's clock`,
    )
  }

  const challenge = event.tags.find((tag) => tag[0] === 'challenge')?.[1]
  if (challenge !== check.challenge) {
    throw new ValidationError('challenge', 'does not match the challenge this relay sent')
  }

  const relay = event.tags.find((tag) => tag[0] === 'relay')?.[1]
  if (relay === undefined) throw new ValidationError('relay', 'the AUTH event needs a relay tag')
  if (normalizeRelayUrl(relay) !== normalizeRelayUrl(check.relayUrl)) {
    throw new ValidationError('relay', `names ${JSON.stringify(relay)}, not this relay`)
  }

  const { id, pubkey, created_at, kind, tags, content, sig } = event
  if (!verifyEvent({ id, pubkey, created_at, kind, tags, content, sig })) {
    throw new VerificationError('the AUTH event id or signature does not verify')
  }
  return event
}
