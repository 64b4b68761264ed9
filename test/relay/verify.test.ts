import { spawnSync } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { finalizeEvent, generateSecretKey, getEventHash, getPublicKey } from 'nostr-tools/pure'
import { verifyEvent } from 'nostr-tools/pure'
import type { NostrEvent } from 'nostr-tools/pure'
import { detectBackend, startEventVerifier } from '../../relay/verify.js'
import type { EventVerifier, SchnorrBackend } from '../../relay/verify.js'

const secretKey = generateSecretKey()
const otherKey = getPublicKey(generateSecretKey())

function sign(content: string, tags: string[][] = []): NostrEvent {
  return finalizeEvent({ kind: 30078, created_at: 1_700_000_000, tags, content }, secretKey)
}

// Only the seven fields: nostr-tools caches a verdict under a symbol that a spread would copy.
function fieldsOf({ id, pubkey, created_at, kind, tags, content, sig }: NostrEvent): NostrEvent {
  return { id, pubkey, created_at, kind, tags, content, sig }
}

function flipHex(hex: string, at: number): string {
  const digit = hex[at] === '0' ? '1' : '0'
  return hex.slice(0, at) + digit + hex.slice(at + 1)
}

const valid = sign('a release', [
  ['d', 'archipelago-app:x'],
  ['t', 'archipelago-marketplace'],
])
const escapes = sign('quote " backslash \\ newline \n tab \t nul \u0000 bell \u0007 \u2028')
const astral = sign('emoji 🦀 and 𝄞 and é', [['t', 'ünïcödé 🦀']])
// The worker cuts the id's preimage out of the event's JSON: keys inside values must not fool it.
const keysInside = sign('","content":"x","sig":"', [
  ['t', '","content":"'],
  ['x', ',"tags":[],"kind":1,"sig":"'],
])

// Each case is also judged by nostr-tools; the verifier must agree with it on every one.
const CASES: Array<{ name: string; event: NostrEvent; error?: RegExp }> = [
  { name: 'a valid event', event: valid },
  { name: 'content with every JSON escape', event: escapes },
  { name: 'non-BMP characters', event: astral },
  { name: 'JSON keys inside the tags and the content', event: keysInside },
  {
    name: 'JSON keys inside changed content',
    event: { ...keysInside, content: ',"content":"y' },
    error: /id does not/,
  },
  { name: 'a changed signature', event: { ...valid, sig: flipHex(valid.sig, 10) }, error: /sig/ },
  { name: 'a changed id', event: { ...valid, id: flipHex(valid.id, 0) }, error: /id does not/ },
  { name: 'changed content', event: { ...valid, content: 'another' }, error: /id does not/ },
  { name: 'another pubkey', event: { ...valid, pubkey: otherKey }, error: /id does not/ },
  {
    name: 'another pubkey with the id recomputed',
    event: rehash({ ...valid, pubkey: otherKey }),
    error: /signature/,
  },
  {
    name: 'a pubkey that is no curve point',
    event: rehash({ ...valid, pubkey: 'f'.repeat(64) }),
    error: /signature/,
  },
  { name: 'a zero signature', event: { ...valid, sig: '0'.repeat(128) }, error: /signature/ },
]

// The same fields under another id: recomputed by nostr-tools, so the signature no longer fits.
function rehash(event: NostrEvent): NostrEvent {
  return { ...event, id: getEventHash(event) }
}

describe('startEventVerifier', () => {
  const verifiers: EventVerifier[] = []
  afterAll(async () => Promise.all(verifiers.map((verifier) => verifier.close())))

  it('uses the native libsecp256k1 binding that npm ci builds', () => {
    expect(detectBackend()).toBe('native')
  })

  describe.each<SchnorrBackend>(['native', 'js'])('with the %s backend', (backend) => {
    const verifier = startEventVerifier({ backend, workers: 2 })
    verifiers.push(verifier)

    it.each(CASES)('agrees with nostr-tools on $name', async ({ event, error }) => {
      const expected = verifyEvent(fieldsOf(event))
      expect(expected).toBe(error === undefined)
      const outcome = verifier.verify(event)
      if (error === undefined) await expect(outcome).resolves.toBeUndefined()
      else await expect(outcome).rejects.toThrow(error)
    })

    it('judges a batch of mixed events each on its own', async () => {
      const events = Array.from({ length: 60 }, (_, index) =>
        index % 3 === 0 ? { ...valid, sig: flipHex(valid.sig, index % 128) } : sign(`${index}`),
      )
      const outcomes = await Promise.allSettled(events.map((event) => verifier.verify(event)))
      const verdicts = outcomes.map((outcome) => outcome.status === 'fulfilled')
      expect(verdicts).toEqual(events.map((event) => verifyEvent(fieldsOf(event))))
    })
  })

  // A start-up that fails at once closes workers still loading bcrypto's native addon; ended
  // then, bcrypto's init asserts and aborts the process (seen in CI). In a child process, so an
  // abort shows as its exit, not as this suite's.
  it('closes workers that are still loading without aborting the process', async () => {
    // The built module (npm test builds first), as bin/archy.js runs it.
    const verifyModule = new URL('../../dist/relay/verify.js', import.meta.url).href
    const script =
      `const { startEventVerifier } = await import(${JSON.stringify(verifyModule)});` +
      'for (let i = 0; i < 25; i++) await startEventVerifier({ workers: 2 }).close();'
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect({ status: child.status, signal: child.signal }, child.stderr).toEqual({
      status: 0,
      signal: null,
    })
  }, 90_000)

  it('rejects checks after close', async () => {
    const verifier = startEventVerifier({ workers: 1 })
    await verifier.close()
    await expect(verifier.verify(valid)).rejects.toThrow(/closed/)
  })
})
