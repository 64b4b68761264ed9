// A Blossom client's Authorization header for tests: a signed kind 24242 event for one verb.
import { signNostrEvent } from '../../src/nostr/event.js'

export interface HeaderOptions {
  expiration?: number
  server?: string
  kind?: number
}

/** `Nostr <base64 event>` allowing `verb` on the blobs of SHA-256 `x`. */
export function blossomHeader(
  secretKey: Uint8Array,
  verb: string,
  x: string[],
  options: HeaderOptions = {},
): string {
  const now = Math.floor(Date.now() / 1000)
  const tags = [
    ['t', verb],
    ...x.map((digest) => ['x', digest]),
    ['expiration', String(options.expiration ?? now + 600)],
    ...(options.server ? [['server', options.server]] : []),
  ]
  const event = signNostrEvent(
    { kind: options.kind ?? 24242, created_at: now - 5, tags, content: `${verb} blobs` },
    secretKey,
  )
  return 'Nostr ' + Buffer.from(JSON.stringify(event)).toString('base64')
}
