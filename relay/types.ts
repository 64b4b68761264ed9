// The relay's public contract: what a registry node passes in and what it gets back. Events and
// filters use nostr-tools' shapes so clients and the relay speak the same types.
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import type { NostrEvent } from 'nostr-tools/pure'
import type { Filter } from 'nostr-tools/filter'
import type { RelayLimits } from './limits.js'
import type { NegentropyLimits } from './nip77.js'
import type { EventPolicy } from './policies.js'

export type { NostrEvent, Filter }

/** What NIP-11 says about this relay. */
export interface RelayInfo {
  name: string
  description: string
  pubkey?: string
  contact?: string
  software: string
  version: string
}

export interface RelayOptions {
  /** SQLite database file; created with its schema when missing. */
  databasePath: string
  info: RelayInfo
  /** The relay's public URL (wss://...), compared with the NIP-42 `relay` tag after
   * normalisation; absent: the URL the client reached (its Host header). */
  url?: string
  /** Accept EVENTs from clients only when their author authenticated (NIP-42). Default false. */
  requireAuthForWrites?: boolean
  /** Peer addresses of reverse proxies whose X-Forwarded-For names the client the per-IP rate
   * limit counts; default none, so no client can pick its own bucket with the header. */
  trustedProxies?: string[]
  /** Overrides of the NIP-77 limits (DEFAULT_NEGENTROPY_LIMITS); maxSessions 0 turns it off. */
  negentropy?: Partial<NegentropyLimits>
  /** Overrides of the default limits (DEFAULT_LIMITS). */
  limits?: Partial<RelayLimits>
  /** Signature-check worker threads; default one fewer than the cores, at least one. */
  verifyWorkers?: number
  /**
   * Commit writes on a thread of their own (relay/store-writer.ts); default true. It needs the
   * compiled relay (dist/): from the TypeScript sources (vitest) writes commit on the main thread.
   */
  storeThread?: boolean
  /**
   * The write policy beyond the limits (accepted kinds, namespaces), run in order on every write
   * path; none: every well-formed kind. A registry node passes its configured one.
   */
  policies?: EventPolicy[]
  /** Logger for connection lifecycle and storage failures; never given event contents. */
  logger?: Logger
}

/** The answer to an EVENT: `message` carries a NIP-01 prefix (`invalid:`, `duplicate:`...). */
export interface PublishResult {
  accepted: boolean
  message: string
}

export interface Relay {
  /** Takes over an HTTP upgrade request; the node routes upgrades of `/` here. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void
  /** True for `GET /` asking for `application/nostr+json` (NIP-11). */
  isInfoRequest(request: IncomingMessage): boolean
  /** The NIP-11 document. */
  infoDocument(): Record<string, unknown>
  /** Local injection: the same checks, storage and broadcast as a client's EVENT. */
  publish(event: NostrEvent): Promise<PublishResult>
  /** Stored events matching any filter, newest first, lowest id first on ties. Unclamped. */
  query(filters: Filter[]): NostrEvent[]
  /**
   * Calls `listener` for every newly stored event, after its commit and its OK (so it may lag
   * behind a burst of writes); returns the unsubscribe.
   */
  onStored(listener: (event: NostrEvent) => void): () => void
  /** Closes every socket, then the database. */
  close(): Promise<void>
}
