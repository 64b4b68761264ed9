// A registry node: one node:http server on one port where WebSocket upgrades of `/` go to the
// embedded relay, NIP-11 requests get the relay's document, and everything else goes to the API.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { getRequestListener } from '@hono/node-server'

import { ValidationError } from '../src/errors.js'
import { makeDirectory } from '../src/fs/make-directory.js'
import { createLogger, type Logger } from '../src/log.js'
import { parseAppAddress } from '../src/release/app-address.js'
import {
  acceptOnlyAppDataNamespaces,
  acceptOnlyKinds,
  createRelay,
  DEFAULT_LIMITS,
  followUpstreams,
  REGISTRY_APP_DATA_NAMESPACES,
  REGISTRY_KINDS,
  writeInfoResponse,
} from '../relay/index.js'
import type { NegentropyLimits, RelayLimits, UpstreamFollower } from '../relay/index.js'
import {
  DEFAULT_BLOB_GRACE_SECONDS,
  DEFAULT_BLOB_QUOTA_BYTES,
  openArtifactService,
} from './artifact-service.js'
import { DEFAULT_MAX_BLOB_BYTES } from './blob-store.js'
import { startCatalogSigner, type CatalogSigner } from './catalog-signer.js'
import { acquireDataLock, type DataLock } from './data-lock.js'
import { createRegistryApp } from './http.js'
import { startIndexer } from './indexer.js'
import { loadOperatorIdentity } from './operator-keys.js'
import { addRotationRoutes } from './rotation-routes.js'
import { createMetrics } from './metrics.js'
import { openRegistryStore } from './store.js'

export const SOFTWARE = 'archipelago-registry'
export const SOFTWARE_VERSION = '0.1.0'

export interface RegistryNodeOptions {
  dataDir: string
  host: string
  port: number
  /** The URL clients reach the node at (behind a proxy); default the listening address. */
  publicUrl?: string
  logLevel?: string
  /** Where log lines go; default JSON on standard error at `logLevel`. */
  logger?: Logger
  maxBlobBytes?: number
  /** Bytes one uploader may hold (README, "Artifacts"). */
  blobQuotaBytes?: number
  /** How long a blob no release names is kept after its last upload. */
  blobGraceSeconds?: number
  /** How often unreferenced blobs are collected. */
  blobGcIntervalMs?: number
  /** Event kinds the relay accepts (setting relay_accepted_kinds); default REGISTRY_KINDS. */
  relayAcceptedKinds?: readonly number[]
  /** The d tags kind 30078 may carry (relay_app_data_namespaces); a trailing `:` is a prefix. */
  relayAppDataNamespaces?: readonly string[]
  /** Overrides of the relay's limits (settings relay_max_future_seconds, relay_max_past_seconds
   * and the rate limits). */
  relayLimits?: Partial<RelayLimits>
  /** Overrides of the relay's NIP-77 limits (settings relay_negentropy_*). */
  relayNegentropy?: Partial<NegentropyLimits>
  /** Relays to follow (setting upstream_relays); everything ingested passes the relay's checks. */
  upstreamRelays?: string[]
  /** Reconnect backoff of the upstream follower, in milliseconds; default 1 s to 60 s. */
  upstreamBackoff?: { initialMs: number; maxMs: number }
  /** Accept client events only from authenticated authors (setting relay_auth_writes, NIP-42). */
  relayAuthWrites?: boolean
  /** Reverse proxies whose X-Forwarded-For the relay's rate limit trusts (trusted_proxies). */
  trustedProxies?: string[]
  /** Delay before re-signing the catalog after a change. */
  catalogDebounceMs?: number
  /** The operator's allow list of bare-id owners, `id@<publisher did>` each. */
  appOwners?: string[]
}

export interface RegistryNode {
  /** The real listening URL, e.g. `http://127.0.0.1:43127`. */
  url: string
  /** The operator DID that signs catalogs. */
  did: string
  /** The follower of the configured upstream relays (none: nothing to follow). */
  upstreams: UpstreamFollower
  close(): Promise<void>
}

/** Starts a registry node and resolves once it listens. */
export async function startRegistryNode(options: RegistryNodeOptions): Promise<RegistryNode> {
  const dataDir = resolve(options.dataDir || './data')
  const logger = options.logger ?? createLogger('registry', options.logLevel ?? 'info')
  // Named by its setting, `data`: errors are read by the operator who set it.
  await makeDirectory(dataDir, { field: 'data', mode: 0o700 })
  // Held until close: rotate-key and a second node on this directory refuse while it is.
  const lock = await acquireDataLock(dataDir, 'starting another node')
  // What start-up opened, closed newest first when a later step fails: a worker thread, timer or
  // database left open would keep a process alive that serves nothing (a silent outage).
  const opened: Array<() => unknown> = []
  try {
    return await startLocked(options, dataDir, logger, lock, opened)
  } catch (error) {
    for (const close of opened.reverse())
      await Promise.resolve()
        .then(close)
        .catch(() => {})
    await lock.release()
    throw error
  }
}

async function startLocked(
  options: RegistryNodeOptions,
  dataDir: string,
  logger: Logger,
  lock: DataLock,
  opened: Array<() => unknown>,
): Promise<RegistryNode> {
  const { keys, rotations } = await loadOperatorIdentity(dataDir)

  const relay = createRelay({
    databasePath: join(dataDir, 'relay.sqlite'),
    info: {
      name: 'Archipelago registry',
      description: 'Archipelago app releases (NIP-78 kind 30078) and catalog announcements',
      pubkey: keys.nostr.pubkey,
      software: SOFTWARE,
      version: SOFTWARE_VERSION,
    },
    logger: logger.child({ component: 'relay' }),
    url: options.publicUrl,
    requireAuthForWrites: options.relayAuthWrites,
    trustedProxies: options.trustedProxies,
    limits: options.relayLimits,
    negentropy: options.relayNegentropy,
    policies: [
      acceptOnlyKinds(options.relayAcceptedKinds ?? REGISTRY_KINDS),
      acceptOnlyAppDataNamespaces(options.relayAppDataNamespaces ?? REGISTRY_APP_DATA_NAMESPACES),
    ],
  })
  opened.push(() => relay.close())
  const store = openRegistryStore(join(dataDir, 'registry.sqlite'))
  opened.push(() => store.close())
  const metrics = createMetrics()
  const { artifacts, blobs, ...artifactService } = await openArtifactService({
    dataDir,
    store,
    logger,
    metrics,
    maxBlobBytes: options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES,
    quotaBytes: options.blobQuotaBytes ?? DEFAULT_BLOB_QUOTA_BYTES,
    graceSeconds: options.blobGraceSeconds ?? DEFAULT_BLOB_GRACE_SECONDS,
    gcIntervalMs: options.blobGcIntervalMs,
  })
  opened.push(() => artifactService.close())
  // The catalog signer needs the listening URL; releases indexed before it exists are in the store.
  const late: { catalog?: CatalogSigner } = {}
  const indexer = startIndexer({ relay, store, logger, onRelease: () => late.catalog?.schedule() })
  opened.push(() => indexer.stop())

  // Listen first: with port 0 the real URL is known only then, and the catalog names it.
  let handle = (_request: IncomingMessage, response: ServerResponse): void => {
    response.writeHead(503, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ error: 'starting', message: 'the node is starting' }))
  }
  const server = createServer((request, response) => handle(request, response))
  server.on('upgrade', (request, socket, head) => {
    if ((request.url ?? '/').split('?')[0] !== '/') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    relay.handleUpgrade(request, socket, head)
  })
  await listen(server, options.host, options.port)
  opened.push(() => new Promise((done) => server.close(done)))
  const url = formatUrl(options.host, (server.address() as AddressInfo).port)
  const publicUrl = (options.publicUrl ?? url).replace(/\/+$/, '')

  const catalog = (late.catalog = await startCatalogSigner({
    store,
    relay,
    keys,
    url: publicUrl,
    logger,
    debounceMs: options.catalogDebounceMs,
    owners: readOwners(options.appOwners ?? []),
    rotations,
  }))
  opened.push(() => catalog.close())
  const app = createRegistryApp({
    catalog,
    indexer,
    store,
    artifacts,
    blobs,
    logger,
    metrics,
    version: SOFTWARE_VERSION,
    publicUrl,
    serverHost: new URL(publicUrl).hostname,
  })
  addRotationRoutes(app, rotations)
  const listener = getRequestListener(app.fetch)
  handle = (request, response) => {
    if (relay.isInfoRequest(request)) writeInfoResponse(relay, response)
    else void listener(request, response)
  }
  logger.info({ url, did: keys.ed25519.did, dataDir }, 'registry node listening')

  // Upstream events enter through relay.publish, so the indexer sees them like local ones.
  const upstreams = followUpstreams({
    urls: options.upstreamRelays ?? [],
    relay,
    logger: logger.child({ component: 'upstream' }),
    backoff: options.upstreamBackoff,
    // Ask upstreams only for what this relay's created_at window admits.
    createdAtWindow: { ...DEFAULT_LIMITS, ...options.relayLimits },
    frameSizeLimit: options.relayNegentropy?.frameSizeLimit,
  })

  let closing: Promise<void> | undefined
  async function close(): Promise<void> {
    const closed = new Promise<void>((done) => server.close(() => done()))
    await upstreams.close()
    indexer.stop()
    await catalog.close()
    await relay.close()
    server.closeAllConnections()
    await closed
    await artifactService.close()
    store.close()
    await lock.release()
    logger.info({ url }, 'registry node stopped')
    logger.flush()
  }
  return { url, did: keys.ed25519.did, upstreams, close: () => (closing ??= close()) }
}

/** `id@did` addresses as a map from id to the DID that owns it (checked by the node config). */
function readOwners(addresses: string[]): Map<string, string> {
  const owners = new Map<string, string>()
  for (const text of addresses) {
    const { id, did } = parseAppAddress(text, 'app_owners')
    if (did === undefined) throw new ValidationError('app_owners', `"${text}" names no publisher`)
    owners.set(id, did)
  }
  return owners
}

function listen(
  server: ReturnType<typeof createServer>,
  host: string,
  port: number,
): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', fail)
    server.listen(port, host, () => {
      server.off('error', fail)
      done()
    })
  })
}

function formatUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}
