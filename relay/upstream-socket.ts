// A minimal client WebSocket to another relay, for the follower: messages routed by subscription
// id, REQ until EOSE, and a promise that settles when the socket closes. No reconnects here.
import { WebSocket } from 'ws'
import type { RawData } from 'ws'
import type { Filter } from 'nostr-tools/filter'
import { ArchyError } from '../src/errors.js'

/** An upstream that failed, timed out or refused; `code` says which. */
export class UpstreamError extends ArchyError {
  constructor(
    code: 'upstream-connect' | 'upstream-timeout' | 'upstream-closed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options)
  }
}

export interface UpstreamSocket {
  send(message: unknown[]): void
  /** Calls `handler` with every message whose second element is `subscriptionId`. */
  route(subscriptionId: string, handler: (message: unknown[]) => void): () => void
  /** Calls `handler` with the text of every NOTICE. */
  onNotice(handler: (text: string) => void): () => void
  /** Settles when the socket has closed, for whatever reason. */
  closed: Promise<void>
  close(): void
}

/** Opens a WebSocket to `url`; rejects with UpstreamError when it does not open in time. */
export function connectUpstream(url: string, timeoutMs: number): Promise<UpstreamSocket> {
  const socket = new WebSocket(url, { handshakeTimeout: timeoutMs, maxPayload: 16 * 1024 * 1024 })
  const routes = new Map<string, (message: unknown[]) => void>()
  const notices = new Set<(text: string) => void>()
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))

  socket.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) return
    let message: unknown
    try {
      message = JSON.parse(String(data))
    } catch {
      return
    }
    if (!Array.isArray(message) || typeof message[0] !== 'string') return
    if (message[0] === 'NOTICE') {
      for (const notice of notices) notice(String(message[1]))
      return
    }
    if (typeof message[1] === 'string') routes.get(message[1])?.(message)
  })

  const upstream: UpstreamSocket = {
    send(message) {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message))
    },
    route(id, handler) {
      routes.set(id, handler)
      return () => routes.delete(id)
    },
    onNotice(handler) {
      notices.add(handler)
      return () => notices.delete(handler)
    },
    closed,
    close: () => socket.close(),
  }

  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(upstream))
    socket.once('error', (error) => {
      reject(new UpstreamError('upstream-connect', `cannot connect to ${url}`, { cause: error }))
    })
  })
}

/**
 * Sends REQ `filters` as `subscriptionId` and hands each EVENT to `onEvent` until EOSE, then
 * CLOSEs it. Rejects on CLOSED, on the socket closing, or after `timeoutMs` without EOSE.
 */
export function requestUntilEose(
  upstream: UpstreamSocket,
  subscriptionId: string,
  filters: Filter[],
  onEvent: (event: unknown) => void,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false
    const finish = (error?: UpstreamError): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      unroute()
      if (error) return reject(error)
      upstream.send(['CLOSE', subscriptionId])
      resolve()
    }
    const timer = setTimeout(
      () => finish(new UpstreamError('upstream-timeout', 'no EOSE in time')),
      timeoutMs,
    )
    const unroute = upstream.route(subscriptionId, (message) => {
      if (message[0] === 'EVENT') onEvent(message[2])
      else if (message[0] === 'EOSE') finish()
      else if (message[0] === 'CLOSED') {
        finish(new UpstreamError('upstream-closed', `REQ closed: ${String(message[2])}`))
      }
    })
    void upstream.closed.then(() =>
      finish(new UpstreamError('upstream-closed', 'the connection closed')),
    )
    upstream.send(['REQ', subscriptionId, ...filters])
  })
}
