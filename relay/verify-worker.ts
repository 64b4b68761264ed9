// The verify worker's program and its messages. It is source run with `eval: true`, so the same
// worker starts from the compiled relay and from the TypeScript sources under vitest; it uses
// only import(), which works whether Node reads it as CommonJS or (--input-type=module) ESM.

/** An event as [id, pubkey, created_at, kind, tags, content, sig]. */
export type EventTuple = [string, string, number, number, string[][], string, string]

export interface VerifyRequest {
  batch: number
  events: EventTuple[]
}

/** One verdict per event of the batch, in order. */
export interface VerifyReply {
  batch: number
  verdicts: Uint8Array
}

export const VERDICT = { valid: 0, badId: 1, badSignature: 2 } as const

// NIP-01: the id is the SHA-256 of [0, pubkey, created_at, kind, tags, content] as JSON without
// extra whitespace, which is what JSON.stringify writes; the signature is BIP-340 over the id.
export const VERIFY_WORKER_SOURCE = `
void (async () => {
  const { parentPort, workerData } = await import('node:worker_threads')
  const { createHash } = await import('node:crypto')
  const { createRequire } = await import('node:module')
  const schnorr = createRequire(workerData.schnorrPath)(workerData.schnorrPath)

  function check([id, pubkey, createdAt, kind, tags, content, sig]) {
    const preimage = JSON.stringify([0, pubkey, createdAt, kind, tags, content])
    const hash = createHash('sha256').update(preimage).digest()
    if (hash.toString('hex') !== id) return ${VERDICT.badId}
    try {
      const valid = schnorr.verify(hash, Buffer.from(sig, 'hex'), Buffer.from(pubkey, 'hex'))
      return valid ? ${VERDICT.valid} : ${VERDICT.badSignature}
    } catch {
      return ${VERDICT.badSignature}
    }
  }

  parentPort.on('message', ({ batch, events }) => {
    const verdicts = new Uint8Array(events.length)
    for (let i = 0; i < events.length; i += 1) verdicts[i] = check(events[i])
    parentPort.postMessage({ batch, verdicts })
  })
})()
`
