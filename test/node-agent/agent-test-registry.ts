// A tiny registry for agent tests: real HTTP on 127.0.0.1, serving a catalog the test signs with
// its own operator key (or any JSON it likes) and blobs by BLAKE3 digest; and the per-test bed
// (a temporary directory, a registry, an agent over a stub exec) the agent tests share.
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterEach, beforeEach } from 'vitest'

import { generateEd25519, type Ed25519Keypair } from '../../src/identity/did-key.js'
import type { KeyPairs } from '../../src/identity/key-file.js'
import { UNSCORED, signCatalog, type Catalog } from '../../src/release/catalog.js'
import { packageRelease } from '../../src/release/package-release.js'
import type { ReleaseDocument } from '../../src/release/release-document.js'
import { openAgent, type Agent } from '../../node-agent/agent-context.js'
import { createStubExec, type ExecExpectation, type StubExec } from '../../node-agent/exec.js'
import { signRelease } from '../support/release-fixtures.js'

export interface TestRegistry {
  url: string
  operator: Ed25519Keypair
  /** What GET /v1/catalog answers. */
  catalog: unknown
  /** Digest -> bytes for GET /blobs/<digest>. */
  blobs: Map<string, Buffer>
  /** Catalog answers so far: full bodies (200) and 304s to a matching If-None-Match. */
  catalogAnswers: { full: number; notModified: number }
  close(): Promise<void>
}

/** Starts the server with a signed empty catalog. */
export async function startTestRegistry(): Promise<TestRegistry> {
  const operator = generateEd25519()
  const registry: TestRegistry = {
    url: '',
    operator,
    catalog: undefined,
    blobs: new Map(),
    catalogAnswers: { full: 0, notModified: 0 },
    close: async () => undefined,
  }
  const server = createServer((request, response) => {
    const target = request.url ?? '/'
    if (target === '/v1/catalog') {
      // A strong ETag of the body, as the registry node gives (RFC 9110 §8.8.3).
      const body = JSON.stringify(registry.catalog)
      const etag = `"${createHash('sha256').update(body).digest('hex')}"`
      if (request.headers['if-none-match'] === etag) {
        registry.catalogAnswers.notModified += 1
        response.writeHead(304, { etag }).end()
        return
      }
      registry.catalogAnswers.full += 1
      response.writeHead(200, { 'content-type': 'application/json', etag })
      response.end(body)
      return
    }
    const blob = /^\/blobs\/([0-9a-f]{64})$/.exec(target)
    const bytes = blob ? registry.blobs.get(blob[1]!) : undefined
    if (!bytes) {
      response.writeHead(404).end()
      return
    }
    response.writeHead(200, { 'content-length': bytes.length }).end(bytes)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  registry.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  registry.catalog = buildCatalog(registry, [], 1)
  registry.close = () => new Promise((resolve) => server.close(() => resolve()))
  return registry
}

/** A catalog of releases signed by `signer` (default the registry's operator). */
export function buildCatalog(
  registry: Pick<TestRegistry, 'url' | 'operator'>,
  releases: ReleaseDocument[],
  sequence: number,
  options: { signer?: Ed25519Keypair; expiresAt?: Date } = {},
): Catalog {
  const signer = options.signer ?? registry.operator
  const expires = options.expiresAt ?? new Date(Date.now() + 86_400_000)
  return signCatalog(
    {
      type: 'ArchipelagoCatalog',
      registry: { did: signer.did, url: registry.url, relay: registry.url.replace('http', 'ws') },
      sequence,
      issued_at: new Date(expires.getTime() - 172_800_000).toISOString().replace(/\.\d+Z$/, 'Z'),
      expires_at: expires.toISOString().replace(/\.\d+Z$/, 'Z'),
      apps: releases.map((release) => ({
        id: release.app,
        publisher: release.author,
        version: release.version,
        event_id: 'e'.repeat(64),
        release,
        trust: UNSCORED,
      })),
    },
    signer,
  )
}

/** A publisher's key pairs. */
export { makeKeys as makePublisher } from '../support/release-fixtures.js'

/** Packages manifest files and puts their artifacts on the registry. */
export async function publishFiles(
  registry: TestRegistry,
  files: string[],
  publisher: KeyPairs,
): Promise<ReleaseDocument> {
  const packaged = await packageRelease(files, publisher)
  for (const artifact of packaged.artifacts) {
    registry.blobs.set(artifact.blake3, await readFile(artifact.path))
  }
  return packaged.release
}

/** Signs a release around raw manifest documents, bypassing packageRelease's own checks. */
export function signRawRelease(
  publisher: KeyPairs,
  manifests: Record<string, unknown>[],
): ReleaseDocument {
  return signRelease(publisher, manifests, [])
}

/** An app over a running container of another name (adopted, so no image or run is needed). */
export function appOver(
  id: string,
  legacy: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const container = { image: `registry.example/${id}:1.0.0`, legacy_names: [legacy] }
  return { app: { id, name: id, version: '1.0.0', container, ...extra } }
}

/** The probes an install over adopted containers makes: version, info and listings. */
export function adoptionProbes(running: string[]): ExecExpectation[] {
  const info = { host: { cgroupVersion: 'v2', security: { rootless: true } } }
  const containers = running.map((name, index) => ({
    Id: `c${index}`,
    Names: [name],
    State: 'running',
    Image: 'x',
    Labels: {},
  }))
  return [
    {
      command: 'podman',
      args: ['version', '--format', '{{.Client.Version}}'],
      result: { stdout: '4.3.1\n' },
      times: 10,
    },
    {
      command: 'podman',
      args: ['info', '--format', 'json'],
      result: { stdout: JSON.stringify(info) },
    },
    {
      command: 'podman',
      args: ['ps', '-a', '--format', 'json'],
      result: { stdout: JSON.stringify(containers) },
      times: 10,
    },
  ]
}

/**
 * The stack-name check after members start (stack-names.ts): the network's DNS, then one lookup
 * of `names` at its gateway answering `resolved` (every name, by default).
 */
export function nameCheck(
  network: string,
  names: string[],
  resolved: Record<string, boolean> = Object.fromEntries(names.map((name) => [name, true])),
): ExecExpectation[] {
  const inspect = [
    { subnets: [{ subnet: '10.89.0.0/24', gateway: '10.89.0.1' }], dns_enabled: true },
  ]
  return [
    {
      command: 'podman',
      args: ['network', 'inspect', network],
      result: { stdout: JSON.stringify(inspect) },
    },
    {
      command: 'podman',
      args: (args) =>
        args[0] === 'unshare' &&
        args[1] === '--rootless-netns' &&
        args.slice(5).join(' ') === ['10.89.0.1', ...names].join(' '),
      result: { stdout: JSON.stringify(resolved) },
    },
  ]
}

export interface AgentTestBed {
  /** A fresh temporary directory: the agent's state and data root go under it. */
  dir: string
  registry: TestRegistry
}

/** A new directory and test registry before each test of the file; both go after it. */
export function useAgentTestBed(prefix: string): AgentTestBed {
  const bed = {} as AgentTestBed
  beforeEach(async () => {
    bed.dir = await mkdtemp(path.join(tmpdir(), prefix))
    bed.registry = await startTestRegistry()
  })
  afterEach(async () => {
    await bed.registry.close()
    await rm(bed.dir, { recursive: true, force: true })
  })
  return bed
}

/** An agent under `dir` (state/, apps/) whose exec is a stub answering only `expectations`. */
export async function openStubAgent(
  dir: string,
  expectations: ExecExpectation[],
): Promise<Agent & { stub: StubExec }> {
  const stub = createStubExec(expectations)
  const agent = await openAgent({
    state: path.join(dir, 'state'),
    dataRoot: path.join(dir, 'apps'),
    hostIp: '192.0.2.10',
    exec: stub,
  })
  return Object.assign(agent, { stub })
}
