// Authorization as Blossom defines it (BUD-01, BUD-02, BUD-11): the header
// `Authorization: Nostr <base64 event>`, a signed kind 24242 event whose `t` tag is the verb
// (`upload`, `delete`, `list`), a future `expiration`, and `x` tags naming the SHA-256 of the
// blobs it allows, which upload and delete require.
import { ArchyError, describeError } from '../src/errors.js'
import { firstTagValue, tagValues, verifyNostrEvent, type NostrEvent } from '../src/nostr/event.js'

export const BLOSSOM_AUTH_KIND = 24242

export type BlossomVerb = 'upload' | 'delete' | 'list'

export interface BlossomAuthorization {
  event: NostrEvent
  /** The SHA-256 digests this authorization allows (its `x` tags). */
  sha256: string[]
}

export interface AuthorizationOptions {
  now?: number
  serverHost?: string
}

/** The error for a missing or bad authorization; the HTTP edge maps it to 401. */
export function unauthorized(message: string): ArchyError {
  return new ArchyError('unauthorized', `authorization: ${message}`)
}

/** Parses and checks an upload authorization header; throws `unauthorized` naming the rule. */
export function checkUploadAuthorization(
  header: string | undefined,
  options: AuthorizationOptions = {},
): BlossomAuthorization {
  return checkBlossomAuthorization(header, 'upload', options)
}

/** Parses and checks an authorization for `verb`; throws `unauthorized` naming the rule. */
export function checkBlossomAuthorization(
  header: string | undefined,
  verb: BlossomVerb,
  options: AuthorizationOptions = {},
): BlossomAuthorization {
  if (!header) throw unauthorized('missing; send "Authorization: Nostr <base64 kind 24242 event>"')
  const match = /^Nostr\s+([A-Za-z0-9+/=_-]+)$/.exec(header.trim())
  if (!match) throw unauthorized('must be "Nostr <base64 event>"')

  let value: unknown
  try {
    value = JSON.parse(Buffer.from(match[1]!, 'base64').toString('utf8'))
  } catch {
    throw unauthorized('is not base64 of a JSON event')
  }
  let event: NostrEvent
  try {
    event = verifyNostrEvent(value)
  } catch (error) {
    throw unauthorized(describeError(error))
  }

  const now = options.now ?? Math.floor(Date.now() / 1000)
  if (event.kind !== BLOSSOM_AUTH_KIND) throw unauthorized(`kind must be ${BLOSSOM_AUTH_KIND}`)
  if (event.created_at > now + 60) throw unauthorized('created_at is in the future')
  if (firstTagValue(event, 't') !== verb) throw unauthorized(`t tag must be "${verb}"`)
  const expiration = parseExpiration(firstTagValue(event, 'expiration'))
  if (expiration <= now) throw unauthorized('has expired')

  // BUD-11: server tags, when present, must name this server's domain.
  const servers = tagValues(event, 'server')
  if (options.serverHost && servers.length > 0 && !servers.includes(options.serverHost)) {
    throw unauthorized(`server tags do not name ${options.serverHost}`)
  }
  const sha256 = tagValues(event, 'x').filter((value) => /^[0-9a-f]{64}$/.test(value))
  if (sha256.length === 0 && verb !== 'list') {
    throw unauthorized(`needs an x tag with the SHA-256 of the blob to ${verb}`)
  }
  return { event, sha256 }
}

/** The `expiration` tag's value: a Unix time in seconds, as NIP-40 and BUD-11 write it. */
function parseExpiration(value: string | undefined): number {
  if (value === undefined) throw unauthorized('needs an expiration tag')
  if (!/^[0-9]{1,15}$/.test(value)) {
    const shown = value.length > 32 ? `${value.slice(0, 32)}...` : value
    throw unauthorized(
      `expiration tag must be a Unix time in seconds, got ${JSON.stringify(shown)}`,
    )
  }
  return Number(value)
}
