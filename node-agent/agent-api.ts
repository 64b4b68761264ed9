// The daemon's local API (DESIGN.md §5): HTTP on a Unix socket in the state directory, which is
// 0700, the socket itself 0600, so only the agent's user reaches it. `POST /v1/operations` takes
// one AgentOperation and answers NDJSON: `{"progress":...}` lines, then `{"result":...}` or
// `{"error":{"code","message"}}`. Operations run one at a time, never beside a reconcile pass.
import { chmod, lstat, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'

import { ArchyError } from '../src/errors.js'
import type { DownloadProgress } from './artifact-fetch.js'
import { parseOperation, type AgentOperation } from './agent-operations.js'

const MAX_BODY_BYTES = 64 * 1024
const PROGRESS_EVERY_MS = 100

export interface AgentApiOptions {
  socket: string
  /** Runs an operation (serialized by the caller), reporting downloads to `progress`. */
  run(operation: AgentOperation, progress: (update: DownloadProgress) => void): Promise<unknown>
}

export interface AgentApi {
  close(): Promise<void>
}

/** Listens on the socket; a leftover socket file (the lock says no daemon runs) is replaced. */
export async function startAgentApi(options: AgentApiOptions): Promise<AgentApi> {
  await removeStaleSocket(options.socket)
  const server = createServer((request, response) => {
    handle(request, response, options).catch((error: Error) => {
      if (!response.headersSent) response.writeHead(500)
      response.end(line({ error: { code: 'internal', message: error.message } }))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.socket, () => resolve())
  })
  await chmod(options.socket, 0o600)
  return { close: () => closeServer(server, options.socket) }
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  options: AgentApiOptions,
): Promise<void> {
  if (request.url === '/v1/health' && request.method === 'GET') {
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ status: 'ok', pid: process.pid }))
    return
  }
  if (request.url !== '/v1/operations') return answer(response, 404, 'not-found', 'no such route')
  if (request.method !== 'POST') return answer(response, 405, 'method', 'POST only')

  let operation: AgentOperation
  try {
    operation = parseOperation(JSON.parse(await readBody(request)) as unknown)
  } catch (error) {
    return answer(response, 400, 'bad-request', (error as Error).message)
  }

  response.writeHead(200, { 'content-type': 'application/x-ndjson' })
  let last = 0
  const progress = (update: DownloadProgress): void => {
    const now = Date.now()
    if (now - last < PROGRESS_EVERY_MS && update.received < update.total) return
    last = now
    response.write(line({ progress: update }))
  }
  try {
    response.end(line({ result: await options.run(operation, progress) }))
  } catch (error) {
    const code = error instanceof ArchyError ? error.code : 'internal'
    response.end(line({ error: { code, message: (error as Error).message } }))
  }
}

function answer(response: ServerResponse, status: number, code: string, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(JSON.stringify({ error: { code, message } }))
}

function line(value: unknown): string {
  return `${JSON.stringify(value)}\n`
}

async function readBody(request: IncomingMessage): Promise<string> {
  let size = 0
  const chunks: Buffer[] = []
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new ArchyError('too-large', 'the request is over 64 KiB')
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

async function removeStaleSocket(socket: string): Promise<void> {
  try {
    const info = await lstat(socket)
    if (!info.isSocket()) {
      throw new ArchyError('state-unusable', `${socket} exists and is not a socket; remove it`)
    }
    await rm(socket)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}

function closeServer(server: Server, socket: string): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      rm(socket, { force: true }).then(
        () => resolve(),
        () => resolve(),
      )
    })
    server.closeAllConnections()
  })
}
