// Over a real WebSocket from loopback: X-Forwarded-For picks the per-IP rate-limit bucket only
// when the peer is a proxy the operator listed (trusted_proxies); by default it is ignored.
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startRelay } from './harness.js'
import type { RunningRelay } from './harness.js'

let running: RunningRelay | undefined

afterEach(async () => {
  await running?.stop()
  running = undefined
})

/** Opens a connection claiming to come from `forwarded`, sends one REQ and returns its answer. */
async function requestAs(url: string, forwarded: string): Promise<unknown[]> {
  const socket = new WebSocket(url, { headers: { 'x-forwarded-for': forwarded } })
  const answer = new Promise<unknown[]>((resolve) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as unknown[]
      if (message[1] === 'r') resolve(message)
    })
  })
  await new Promise((resolve) => socket.once('open', resolve))
  socket.send(JSON.stringify(['REQ', 'r', { limit: 0 }]))
  const message = await answer
  socket.close()
  return message
}

describe('relay rate limit behind a proxy', () => {
  const limits = { ipMessagesPerSecond: 0.001, ipMessageBurst: 1 }

  it('counts each forwarded client apart when the loopback proxy is trusted', async () => {
    running = await startRelay({ limits, trustedProxies: ['127.0.0.1', '::1'] })
    expect(await requestAs(running.url, '198.51.100.1')).toEqual(['EOSE', 'r'])
    expect(await requestAs(running.url, '198.51.100.2')).toEqual(['EOSE', 'r'])
    expect((await requestAs(running.url, '198.51.100.1'))[0]).toBe('CLOSED')
  })

  it('counts every loopback client as one when no proxy is trusted, whatever its header', async () => {
    running = await startRelay({ limits })
    expect(await requestAs(running.url, '198.51.100.1')).toEqual(['EOSE', 'r'])
    expect(await requestAs(running.url, '198.51.100.2')).toEqual([
      'CLOSED',
      'r',
      'rate-limited: this address sends too many messages',
    ])
  })
})
