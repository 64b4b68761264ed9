// NIP-77, the initiator's side: reconciles the events this node holds for a filter with an
// upstream relay's and returns the ids each side lacks. A NEG-ERR, a NOTICE that refers to NEG-OPEN
// (a relay that does not know it) or silence means the upstream cannot sync this way; the caller
// falls back. A NOTICE about anything else (the live REQ sent beside it, a rate limit) is not one.
import { randomBytes } from 'node:crypto'
import type { Filter } from 'nostr-tools/filter'
import { describeError } from '../src/errors.js'
import { createNegentropy } from './negentropy.js'
import { fromHex, sortItems, toHex } from './negentropy-wire.js'
import type { UpstreamSocket } from './upstream-socket.js'

/** How relays without NIP-77 word a NOTICE about NEG-OPEN (strfry, nostr-rs-relay...). */
const NO_NEGENTROPY_NOTICE = new RegExp(
  [
    String.raw`\bneg-`,
    'negentropy',
    'unknown (cmd|command|message)',
    'unsupported',
    'not supported',
    'could not parse',
    'bad msg',
    'unrecognized',
  ].join('|'),
  'i',
)

export type NegentropySyncResult =
  | { supported: true; have: string[]; need: string[] }
  /** `dropped`: the upstream closed the connection instead of answering. */
  | { supported: false; reason: string; dropped?: boolean }

/**
 * Runs one negentropy sync of `filter` over `upstream`, with `local` as this side's records;
 * every NEG-MSG it sends stays within `frameSizeLimit` bytes of binary message (0: no limit).
 */
export function syncWithNegentropy(
  upstream: UpstreamSocket,
  filter: Filter,
  local: Array<{ created_at: number; id: string }>,
  timeoutMs: number,
  frameSizeLimit = 0,
): Promise<NegentropySyncResult> {
  const items = sortItems(
    local.map((event) => ({ timestamp: event.created_at, id: fromHex(event.id, 'id') })),
  )
  const negentropy = createNegentropy(items, 'initiator', { frameSizeLimit })
  const id = `neg-${randomBytes(6).toString('hex')}`
  const have: string[] = []
  const need: string[] = []

  return new Promise((resolve) => {
    let timer = setTimeout(() => stop('no answer to NEG-OPEN'), timeoutMs)
    let settled = false
    const stop = (reason?: string, dropped = false): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      unroute()
      unnotice()
      if (reason === undefined) return resolve({ supported: true, have, need })
      upstream.send(['NEG-CLOSE', id])
      resolve({ supported: false, reason, dropped })
    }

    const unroute = upstream.route(id, (message) => {
      if (message[0] === 'NEG-ERR') return stop(`NEG-ERR: ${String(message[2])}`)
      if (message[0] !== 'NEG-MSG' || typeof message[2] !== 'string') return

      let result
      try {
        result = negentropy.reconcile(fromHex(message[2], 'NEG-MSG'))
      } catch (error) {
        return stop(`bad NEG-MSG: ${describeError(error)}`)
      }
      have.push(...result.have)
      need.push(...result.need)
      if (result.message === null) {
        upstream.send(['NEG-CLOSE', id])
        return stop()
      }
      clearTimeout(timer)
      timer = setTimeout(() => stop('no answer to NEG-MSG'), timeoutMs)
      upstream.send(['NEG-MSG', id, toHex(result.message)])
    })
    const unnotice = upstream.onNotice((text) => {
      if (NO_NEGENTROPY_NOTICE.test(text)) stop(`NOTICE: ${text}`)
    })
    void upstream.closed.then(() => stop('the connection closed', true))

    upstream.send(['NEG-OPEN', id, filter, toHex(negentropy.initiate())])
  })
}
