// Test harness for the registry node: a real node on 127.0.0.1 port 0 in a temp directory, a
// nostr-tools client over a real WebSocket, JSON fetch helpers and polling.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import type { NostrEvent } from 'nostr-tools/pure'
import { Relay as RelayClient, useWebSocketImplementation } from 'nostr-tools/relay'

import {
  startRegistryNode,
  type RegistryNode,
  type RegistryNodeOptions,
} from '../../registry/index.js'

useWebSocketImplementation(WebSocket)

export interface TestNode extends RegistryNode {
  dataDir: string
  /** GETs a path and parses the JSON body. */
  getJson(path: string): Promise<{ status: number; body: Record<string, unknown> }>
  /** Publishes over a real WebSocket and returns the relay's OK message (throws on OK false). */
  publish(event: NostrEvent): Promise<string>
  client(): Promise<RelayClient>
}

/** A fresh temp directory, removed by the returned function. */
export function makeDataDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'archy-registry-'))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Starts a node on `dataDir`; `close()` also closes the WebSocket client it opened. */
export async function startTestNode(
  dataDir: string,
  options: Partial<Omit<RegistryNodeOptions, 'dataDir' | 'host'>> = {},
): Promise<TestNode> {
  const node = await startRegistryNode({
    dataDir,
    host: '127.0.0.1',
    port: 0,
    logLevel: 'silent',
    catalogDebounceMs: 10,
    ...options,
  })
  let client: RelayClient | undefined
  async function connect(): Promise<RelayClient> {
    client ??= await RelayClient.connect(node.url.replace(/^http/, 'ws'))
    return client
  }
  return {
    ...node,
    dataDir,
    async getJson(path) {
      const response = await fetch(node.url + path)
      return { status: response.status, body: (await response.json()) as Record<string, unknown> }
    },
    publish: async (event) => (await connect()).publish(event),
    client: connect,
    async close() {
      client?.close()
      await node.close()
    },
  }
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Waits until the served catalog reaches at least `sequence`, and returns it. */
export async function waitForCatalog(
  node: TestNode,
  sequence: number,
): Promise<Record<string, unknown> & { sequence: number; apps: Record<string, unknown>[] }> {
  return waitFor(async () => {
    const { body } = await node.getJson('/v1/catalog')
    const catalog = body as Record<string, unknown> & {
      sequence: number
      apps: Record<string, unknown>[]
    }
    return catalog.sequence >= sequence ? catalog : undefined
  })
}
