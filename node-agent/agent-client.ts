// The CLI's side of the daemon's local API (agent-api.ts): send one operation over the state
// directory's socket and read its NDJSON answer. No socket, or one nobody answers on, means no
// daemon runs: the CLI then does the work itself under the state lock (DESIGN.md §5).
import { request } from 'node:http'

import { ArchyError } from '../src/errors.js'
import type { DownloadProgress } from './artifact-fetch.js'
import type { AgentOperation } from './agent-operations.js'

export type DaemonAnswer = { answered: false } | { answered: true; result: unknown }

/** Sends the operation to a running daemon; a failure it reports is thrown as an ArchyError. */
export function askDaemon(
  socket: string,
  operation: AgentOperation,
  onProgress?: (progress: DownloadProgress) => void,
): Promise<DaemonAnswer> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(operation)
    const sent = request(
      {
        socketPath: socket,
        path: '/v1/operations',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        let buffered = ''
        let outcome: DaemonAnswer | Error | undefined
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          buffered += chunk
          let end: number
          while ((end = buffered.indexOf('\n')) >= 0) {
            outcome = readLine(buffered.slice(0, end), onProgress) ?? outcome
            buffered = buffered.slice(end + 1)
          }
        })
        response.on('end', () => {
          if (buffered.trim()) outcome = readLine(buffered, onProgress) ?? outcome
          if (outcome instanceof Error) reject(outcome)
          else if (outcome) resolve(outcome)
          else reject(new ArchyError('daemon', 'the agent daemon closed without an answer'))
        })
      },
    )
    sent.on('error', (error: NodeJS.ErrnoException) => {
      // No daemon: the socket is missing, or left behind by one that is gone.
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') resolve({ answered: false })
      else reject(new ArchyError('daemon', `${socket}: ${error.message}`, { cause: error }))
    })
    sent.end(body)
  })
}

function readLine(
  text: string,
  onProgress: ((progress: DownloadProgress) => void) | undefined,
): DaemonAnswer | Error | undefined {
  let message: {
    progress?: DownloadProgress
    result?: unknown
    error?: { code?: string; message?: string }
  }
  try {
    message = JSON.parse(text) as typeof message
  } catch {
    return new ArchyError('daemon', 'the agent daemon answered something that is not JSON')
  }
  if (message.progress) {
    onProgress?.(message.progress)
    return undefined
  }
  if (message.error) {
    return new ArchyError(message.error.code ?? 'daemon', message.error.message ?? 'failed')
  }
  return { answered: true, result: message.result }
}
