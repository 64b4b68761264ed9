// Learning of new catalogs by subscription (DESIGN.md §4, "Catalog"): a REQ on each followed
// registry's relay for its kind 30078 `d=archipelago-catalog` announcements. An announcement is
// only a hint to fetch: the catalog it names is verified like any other before it is kept.
import { Relay as RelayClient, useWebSocketImplementation } from 'nostr-tools/relay'
import { WebSocket } from 'ws'

import { describeError } from '../src/errors.js'
import type { AgentStore, RegistryRecord } from './agent-store.js'

useWebSocketImplementation(WebSocket)

const ANNOUNCEMENT_KIND = 30078
const ANNOUNCEMENT_D_TAG = 'archipelago-catalog'
const RECONNECT_MS = 30_000

export interface AnnouncementWatchOptions {
  store: AgentStore
  /** Fetches and verifies the registry's catalog (the daemon runs it in its queue). */
  refresh(registry: RegistryRecord): Promise<unknown>
  /** Reports a refresh that failed, or a relay that cannot be reached (never event contents). */
  onError?(url: string, reason: string): void
  reconnectMs?: number
}

export interface AnnouncementWatch {
  close(): void
}

/** Subscribes to every followed registry's announcements until closed; reconnects when cut. */
export function watchCatalogAnnouncements(options: AnnouncementWatchOptions): AnnouncementWatch {
  const clients = new Map<string, RelayClient>()
  const timers = new Set<NodeJS.Timeout>()
  const busy = new Set<string>()
  /** The newest announcement that came in during a fetch, per registry. */
  const pending = new Map<string, string>()
  let closed = false

  async function watch(url: string): Promise<void> {
    const registry = options.store.getRegistry(url)
    if (closed || !registry) return
    let client: RelayClient
    try {
      client = await RelayClient.connect(readRelayUrl(registry))
    } catch (error) {
      options.onError?.(url, `cannot reach its relay: ${describeError(error)}`)
      return retry(url)
    }
    if (closed) return client.close()
    clients.set(url, client)
    client.onclose = () => {
      clients.delete(url)
      retry(url)
    }
    const since = Math.floor(Date.now() / 1000) - 60
    client.subscribe([{ kinds: [ANNOUNCEMENT_KIND], '#d': [ANNOUNCEMENT_D_TAG], since }], {
      onevent: (event) => void consider(url, event.content),
    })
  }

  // Only a higher sequence than the last accepted is worth a fetch; one fetch at a time per
  // registry, and one more after it when another announcement came in meanwhile.
  async function consider(url: string, content: string): Promise<void> {
    const announced = readAnnouncement(content)
    const registry = options.store.getRegistry(url)
    if (!registry || announced === undefined) return
    if (registry.sequence !== null && announced <= registry.sequence) return
    if (busy.has(url)) return void pending.set(url, content)
    busy.add(url)
    try {
      await options.refresh(registry)
    } catch (error) {
      options.onError?.(url, (error as Error).message)
    } finally {
      busy.delete(url)
    }
    const next = pending.get(url)
    pending.delete(url)
    if (next !== undefined) await consider(url, next)
  }

  function retry(url: string): void {
    if (closed) return
    const timer = setTimeout(() => {
      timers.delete(timer)
      void watch(url)
    }, options.reconnectMs ?? RECONNECT_MS)
    timer.unref()
    timers.add(timer)
  }

  for (const registry of options.store.listRegistries()) void watch(registry.url)
  return {
    close() {
      closed = true
      for (const timer of timers) clearTimeout(timer)
      for (const client of clients.values()) {
        client.onclose = null
        client.close()
      }
      clients.clear()
    },
  }
}

/** The relay the registry's signed catalog names, else its URL as ws(s). */
function readRelayUrl(registry: RegistryRecord): string {
  const relay = (registry.catalog as { registry?: { relay?: unknown } } | null)?.registry?.relay
  if (typeof relay === 'string' && /^wss?:\/\//.test(relay)) return relay
  return registry.url.replace(/^http/, 'ws')
}

/** The announced sequence (`{ sequence, blake3, url }`), else undefined. */
function readAnnouncement(content: string): number | undefined {
  try {
    const { sequence } = JSON.parse(content) as { sequence?: unknown }
    return Number.isSafeInteger(sequence) ? (sequence as number) : undefined
  } catch {
    return undefined
  }
}
