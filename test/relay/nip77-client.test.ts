// The NIP-77 initiator against a real WebSocket upstream that answers NEG-OPEN in different ways:
// only a NEG-ERR or a NOTICE that plausibly refers to NEG-OPEN means "no NIP-77"; a NOTICE about
// something else (the live REQ sent beside it, a rate limit) does not end the sync.
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import type { AddressInfo } from 'node:net'
import { syncWithNegentropy } from '../../relay/nip77-client.js'
import { connectUpstream } from '../../relay/upstream-socket.js'
import type { UpstreamSocket } from '../../relay/upstream-socket.js'

let server: WebSocketServer | undefined
let upstream: UpstreamSocket | undefined

afterEach(async () => {
  upstream?.close()
  await new Promise((resolve) => server?.close(resolve))
  server = upstream = undefined
})

/** An upstream that answers NEG-OPEN with `answer(id)`, frame by frame. */
async function upstreamAnswering(answer: (id: string) => unknown[][]): Promise<UpstreamSocket> {
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  server.on('connection', (socket) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as unknown[]
      if (message[0] !== 'NEG-OPEN') return
      for (const frame of answer(String(message[1]))) socket.send(JSON.stringify(frame))
    })
  })
  await new Promise((resolve) => server?.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  upstream = await connectUpstream(`ws://127.0.0.1:${port}`, 2000)
  return upstream
}

describe('syncWithNegentropy', () => {
  it.each([
    ['ERROR: bad msg: unknown cmd'],
    ['invalid: unknown message type "NEG-OPEN"'],
    ['could not parse command'],
    ['negentropy disabled'],
  ])('takes the NOTICE %j as no NIP-77', async (text) => {
    const socket = await upstreamAnswering(() => [['NOTICE', text]])
    expect(await syncWithNegentropy(socket, { kinds: [0] }, [], 2000)).toEqual({
      supported: false,
      reason: `NOTICE: ${text}`,
      dropped: false,
    })
  })

  it('keeps waiting past a NOTICE about something else, for the NEG-ERR', async () => {
    const socket = await upstreamAnswering((id) => [
      ['NOTICE', 'rate-limited: slow down'],
      ['NOTICE', 'restricted: guests may not publish'],
      ['NOTICE', 'invalid: a limit must not be negative'],
      ['NEG-ERR', id, 'blocked: too many records'],
    ])
    expect(await syncWithNegentropy(socket, { kinds: [0] }, [], 2000)).toEqual({
      supported: false,
      reason: 'NEG-ERR: blocked: too many records',
      dropped: false,
    })
  })
})
