// The verify worker's program and its messages. It is source run with `eval: true`, so the same
// worker starts from the compiled relay and from the TypeScript sources under vitest; it uses
// only import(), which works whether Node reads it as CommonJS or (--input-type=module) ESM.

export interface VerifyRequest {
  batch: number
  /** Each event's JSON as relay/event-json.ts writes it. */
  events: string[]
}

/** One verdict per event of the batch, in order. */
export interface VerifyReply {
  batch: number
  verdicts: Uint8Array
}

export const VERDICT = { valid: 0, badId: 1, badSignature: 2, unreadable: 3 } as const

// NIP-01: the id is the SHA-256 of [0, pubkey, created_at, kind, tags, content] as JSON without
// extra whitespace, which is what JSON.stringify writes; the signature is BIP-340 over the id.
// The preimage is cut out of the event's JSON: its fields come in a fixed order, the hex ones
// have fixed lengths, and the first ',"content":' after the tags is the key (a quote inside a
// JSON string is escaped, and a string in the tags is followed by ',' or ']', never ':').
export const VERIFY_WORKER_SOURCE = `
void (async () => {
  const { parentPort, workerData } = await import('node:worker_threads')
  const { createHash } = await import('node:crypto')
  const { createRequire } = await import('node:module')
  const schnorr = createRequire(workerData.schnorrPath)(workerData.schnorrPath)
  // {"id":"<64>","pubkey":"<64>","created_at":N,"kind":K,"tags":T,"content":C,"sig":"<128>"}
  const SIG_FROM_END = 138

  function check(json) {
    const sigAt = json.length - SIG_FROM_END
    if (
      !json.startsWith('{"id":"') ||
      !json.startsWith('","pubkey":"', 71) ||
      !json.startsWith('","created_at":', 147) ||
      !json.startsWith(',"sig":"', sigAt)
    ) {
      return ${VERDICT.unreadable}
    }
    const tagsAt = json.indexOf(',"tags":', 162)
    const contentAt = json.indexOf(',"content":', tagsAt)
    if (tagsAt === -1 || contentAt === -1) return ${VERDICT.unreadable}
    const pubkey = json.slice(83, 147)
    const numbers = json.slice(162, tagsAt).replace(',"kind":', ',')
    const tags = json.slice(tagsAt + 8, contentAt)
    const content = json.slice(contentAt + 11, sigAt)
    const preimage = '[0,"' + pubkey + '",' + numbers + ',' + tags + ',' + content + ']'
    const hash = createHash('sha256').update(preimage).digest()
    if (hash.toString('hex') !== json.slice(7, 71)) return ${VERDICT.badId}
    try {
      const sig = Buffer.from(json.slice(sigAt + 8, sigAt + 136), 'hex')
      const valid = schnorr.verify(hash, sig, Buffer.from(pubkey, 'hex'))
      return valid ? ${VERDICT.valid} : ${VERDICT.badSignature}
    } catch {
      return ${VERDICT.badSignature}
    }
  }

  // Loaded: from here the pool may terminate this worker (relay/verify.ts, close).
  parentPort.postMessage({ ready: true })
  parentPort.on('message', ({ batch, events }) => {
    const verdicts = new Uint8Array(events.length)
    for (let i = 0; i < events.length; i += 1) verdicts[i] = check(events[i])
    parentPort.postMessage({ batch, verdicts })
  })
})()
`
