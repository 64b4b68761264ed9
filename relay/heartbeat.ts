// Drops connections whose peer has gone away without closing: every interval each socket gets a
// ping, and one that has not answered the previous ping is terminated.
import type { WebSocket, WebSocketServer } from 'ws'

export interface Heartbeat {
  /** Starts watching a newly accepted socket. */
  watch(socket: WebSocket): void
  stop(): void
}

export function startHeartbeat(server: WebSocketServer, intervalMs: number): Heartbeat {
  const answered = new WeakSet<WebSocket>()

  const timer = setInterval(() => {
    for (const socket of server.clients) {
      if (!answered.has(socket)) {
        socket.terminate()
        continue
      }
      answered.delete(socket)
      socket.ping()
    }
  }, intervalMs)
  timer.unref()

  return {
    watch(socket) {
      answered.add(socket)
      socket.on('pong', () => answered.add(socket))
    },
    stop: () => clearInterval(timer),
  }
}
