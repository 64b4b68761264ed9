// Tests for following a registry when its catalog cannot be fetched: the one-line error names the
// URL and the reason (connection refused, an HTTP status), and nothing is stored; and refreshing
// a followed catalog with If-None-Match, a 304 taken as the stored catalog verified again.
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer as createHttpServer } from 'node:http'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { openAgentStore, type AgentStore } from '../../node-agent/agent-store.js'
import { addRegistry, refreshRegistry } from '../../node-agent/catalog-follower.js'
import { runCli } from '../support/cli.js'
import { buildCatalog, startTestRegistry, type TestRegistry } from './agent-test-registry.js'

let dir: string
let store: AgentStore

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'catalog-follower-'))
  store = openAgentStore(path.join(dir, 'agent.sqlite'))
})

afterEach(async () => {
  store.close()
  await rm(dir, { recursive: true, force: true })
})

/** A loopback port nothing listens on: bound on port 0, then closed. */
async function findClosedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('addRegistry when the catalog cannot be fetched', () => {
  it('names the connection refused on a closed loopback port, storing nothing', async () => {
    const port = await findClosedPort()
    const url = `http://127.0.0.1:${port}`
    await expect(addRegistry(store, url)).rejects.toThrow(
      new RegExp(
        `^http://127\\.0\\.0\\.1:${port}/v1/catalog: cannot fetch the catalog: ` +
          `connect ECONNREFUSED 127\\.0\\.0\\.1:${port}$`,
      ),
    )
    expect(store.listRegistries()).toEqual([])
  })

  it('names the HTTP status when the registry answers without a catalog', async () => {
    const registry = await startTestRegistry()
    try {
      await expect(addRegistry(store, `${registry.url}/nothing-here`)).rejects.toThrow(
        `${registry.url}/nothing-here/v1/catalog: the registry answered HTTP 404, not a catalog`,
      )
    } finally {
      await registry.close()
    }
    expect(store.listRegistries()).toEqual([])
  })
})

describe('addRegistry refusals name what is wrong', () => {
  it('names a URL with a query', async () => {
    await expect(addRegistry(store, 'http://127.0.0.1:7777/?x=1')).rejects.toThrow(
      'URL: "http://127.0.0.1:7777/?x=1" must have no query or fragment',
    )
  })

  it('refuses a URL with a user name or password before fetching, never showing them', async () => {
    const requests: string[] = []
    const server = createHttpServer((request, response) => {
      requests.push(request.url ?? '')
      response.end('{}')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    try {
      for (const url of [
        `http://alice:s3cret@127.0.0.1:${port}`,
        `http://alice@127.0.0.1:${port}`,
      ]) {
        const refusal = await addRegistry(store, url).catch((error: Error) => error)
        expect((refusal as Error).message).toBe(
          'URL: must not contain a user name or password (a registry serves its catalog to anyone)',
        )
      }
      const other = await addRegistry(store, 'http://alice:s3cret@[::1').catch((e: Error) => e)
      expect((other as Error).message).toBe('URL: "http://***@[::1" is not a URL')
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
    expect(requests).toEqual([])
    expect(store.listRegistries()).toEqual([])
  })

  it('names an answer that is not JSON', async () => {
    const server = createHttpServer((_, response) => response.end('<html>hello</html>'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      await expect(addRegistry(store, url)).rejects.toThrow(
        new RegExp(`^${url}/v1/catalog: the answer is not JSON \\(.+\\)$`),
      )
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
    expect(store.listRegistries()).toEqual([])
  })
})

describe('archy agent add-registry on a closed loopback port', () => {
  it('exits 1 with one line naming the cause', async () => {
    const port = await findClosedPort()
    const run = await runCli([
      'agent',
      'add-registry',
      `http://127.0.0.1:${port}`,
      '--state',
      path.join(dir, 'state'),
      '--data-root',
      path.join(dir, 'apps'),
    ])
    expect(run.code).toBe(1)
    expect(run.err).toBe(
      `archy: http://127.0.0.1:${port}/v1/catalog: cannot fetch the catalog: ` +
        `connect ECONNREFUSED 127.0.0.1:${port}`,
    )
  })
})

describe('refreshRegistry', () => {
  let registry: TestRegistry
  beforeEach(async () => {
    registry = await startTestRegistry()
  })
  afterEach(async () => {
    await registry.close()
  })

  const refresh = async (): Promise<number> => {
    const record = store.getRegistry(registry.url)!
    return (await refreshRegistry(store, record)).catalog.sequence
  }

  it('asks with the stored ETag and takes a 304 as that catalog, verified again', async () => {
    await addRegistry(store, registry.url, registry.operator.did)
    expect(await refresh()).toBe(1)
    expect(await refresh()).toBe(1)
    expect(registry.catalogAnswers).toEqual({ full: 1, notModified: 2 })

    registry.catalog = buildCatalog(registry, [], 2)
    expect(await refresh()).toBe(2)
    expect(store.getRegistry(registry.url)?.sequence).toBe(2)
    expect(await refresh()).toBe(2)
    expect(registry.catalogAnswers).toEqual({ full: 2, notModified: 3 })
  })

  it('refuses a stored catalog that expired though the registry says it is unchanged', async () => {
    registry.catalog = buildCatalog(registry, [], 1, { expiresAt: new Date(Date.now() + 1500) })
    await addRegistry(store, registry.url, registry.operator.did)
    await new Promise((resolve) => setTimeout(resolve, 2000))
    await expect(refresh()).rejects.toThrow(/expired/)
    expect(registry.catalogAnswers).toEqual({ full: 1, notModified: 1 })
  })

  it('sends no ETag for a catalog another store accepted', async () => {
    await addRegistry(store, registry.url, registry.operator.did)
    const other = openAgentStore(path.join(dir, 'other.sqlite'))
    try {
      other.addRegistry(registry.url, registry.operator.did)
      await refreshRegistry(other, other.getRegistry(registry.url)!)
      expect(registry.catalogAnswers).toEqual({ full: 2, notModified: 0 })
    } finally {
      other.close()
    }
  })
})
