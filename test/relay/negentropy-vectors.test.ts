// Negentropy V1 against transcripts of hoytech/negentropy's reference C++ implementation
// (test/vectors/negentropy/README.md): both of our roles must send, byte for byte, what the
// reference sent, frame size limits included, and settle the same ids.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createNegentropy } from '../../relay/negentropy.js'
import { fromHex, sortItems, toHex } from '../../relay/negentropy-wire.js'
import type { NegentropyItem } from '../../relay/negentropy-wire.js'

interface Transcript {
  name: string
  frameSizeLimit: { initiator: number; responder: number }
  initiatorItems: string[]
  responderItems: string[]
  /** Initiator's messages at even positions, the responder's answers at odd ones (hex). */
  messages: string[]
  have: string[]
  need: string[]
}

interface Vectors {
  responderExchanges: Array<{ items: string[]; query: string; answer: string }>
  transcripts: Transcript[]
}

const vectors = JSON.parse(
  readFileSync(new URL('../vectors/negentropy/transcripts.json', import.meta.url), 'utf8'),
) as Vectors

function toItems(lines: string[]): NegentropyItem[] {
  return sortItems(
    lines.map((line) => {
      const [timestamp, id] = line.split(',')
      return { timestamp: Number(timestamp), id: fromHex(id ?? '', 'id') }
    }),
  )
}

const unique = (ids: string[]): string[] => [...new Set(ids)].sort()

describe('negentropy against the reference implementation', () => {
  it.each(vectors.transcripts.map((transcript) => [transcript.name, transcript] as const))(
    'our initiator sends what the reference sent: %s',
    (_name, transcript) => {
      const limit = transcript.frameSizeLimit.initiator
      const ours = createNegentropy(toItems(transcript.initiatorItems), 'initiator', {
        frameSizeLimit: limit,
      })
      const have: string[] = []
      const need: string[] = []
      expect(toHex(ours.initiate())).toBe(transcript.messages[0])
      for (let index = 1; index < transcript.messages.length; index += 2) {
        const result = ours.reconcile(fromHex(transcript.messages[index] ?? '', 'answer'))
        have.push(...result.have)
        need.push(...result.need)
        const next = transcript.messages[index + 1]
        expect(result.message === null ? undefined : toHex(result.message)).toBe(next)
      }
      expect(unique(have)).toEqual(unique(transcript.have))
      expect(unique(need)).toEqual(unique(transcript.need))
    },
  )

  // One deliberate difference: when a range does not fit the frame, the reference's closing
  // fingerprint leaves out that range and the matching ranges before it, which the other side's
  // fingerprint of the same bounds includes; ours covers everything after the last range written
  // (the protocol text: the rest is "coalesced" into one fingerprint). Only those 16 bytes differ.
  it.each(vectors.transcripts.map((transcript) => [transcript.name, transcript] as const))(
    'our responder answers as the reference did: %s',
    (_name, transcript) => {
      const limit = transcript.frameSizeLimit.responder
      const ours = createNegentropy(toItems(transcript.responderItems), 'responder', {
        frameSizeLimit: limit,
      })
      for (let index = 0; index < transcript.messages.length; index += 2) {
        const query = fromHex(transcript.messages[index] ?? '', 'query')
        const reply = toHex(ours.reconcile(query).message ?? new Uint8Array(0))
        const expected = transcript.messages[index + 1] ?? ''
        if (limit > 0 && reply !== expected) {
          expect(reply.slice(0, -32), `answer ${index + 1}`).toBe(expected.slice(0, -32))
          expect(reply.slice(-38, -32), 'an infinite bound, then a fingerprint').toBe('000001')
        } else {
          expect(reply, `answer ${index + 1}`).toBe(expected)
        }
        if (limit > 0) expect(reply.length / 2).toBeLessThanOrEqual(limit)
      }
    },
  )

  it('answers the protocol-version exchanges of the reference test suite', () => {
    for (const exchange of vectors.responderExchanges) {
      const ours = createNegentropy(toItems(exchange.items), 'responder')
      const reply = ours.reconcile(fromHex(exchange.query, 'query')).message
      expect(reply === null ? null : toHex(reply)).toBe(exchange.answer)
    }
  })

  it('refuses a frame size limit below 4096 bytes, naming the option', () => {
    expect(() => createNegentropy([], 'responder', { frameSizeLimit: 1000 })).toThrow(
      'frameSizeLimit: must be 0 or at least 4096 bytes, got 1000',
    )
  })
})
