// `archy keys`, `archy proof verify` and `archy blob hash` through main(): key files and
// their mode, keys restored from seeds, proofs and the W3C vector, file digests.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { generateEd25519 } from '../../../src/identity/did-key.js'
import { signDocument } from '../../../src/proof/data-integrity.js'
import { runCli } from '../../support/cli.js'

const SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'
const NOSTR = '0000000000000000000000000000000000000000000000000000000000000003'
// n, the order of secp256k1 (SEC 2 §2.4.1): the smallest value that is not a secret key.
const CURVE_ORDER = 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141'

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'archy-cli-'))
}

describe('archy keys', () => {
  it('makes a 0600 key file and prints the DID and npub, never a secret', async () => {
    const file = join(tempDir(), 'me.keys')
    const run = await runCli(['keys', 'new', '--out', file])
    expect(run.code).toBe(0)
    expect(run.out).toMatch(/did:key:z6Mk/)
    expect(run.out).toMatch(/npub1/)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const stored = JSON.parse(readFileSync(file, 'utf8'))
    expect(run.out).not.toContain(stored.ed25519_seed)
    expect(run.out).not.toContain(stored.nostr_secret)
  })

  it('refuses to overwrite an existing key file', async () => {
    const file = join(tempDir(), 'me.keys')
    await runCli(['keys', 'new', '--out', file])
    const run = await runCli(['keys', 'new', '--out', file])
    expect(run.code).toBe(1)
    expect(run.err).toMatch(/already exists/)
  })

  it('restores the same DID from a seed (RFC 8032 test 1 key)', async () => {
    const file = join(tempDir(), 'restored.keys')
    const run = await runCli([
      'keys',
      'import',
      '--ed25519-seed',
      SEED,
      '--nostr-secret',
      NOSTR,
      '--out',
      file,
      '--json',
    ])
    expect(run.code).toBe(0)
    const shown = JSON.parse(run.out)
    // The did:key of RFC 8032's first public key d75a9801...511a.
    expect(shown.did).toBe('did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw')
    expect(shown.nostr_pubkey).toBe(
      'f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9',
    )
    const again = await runCli(['keys', 'show', '--key', file, '--json'])
    expect(JSON.parse(again.out).did).toBe(shown.did)
  })

  it('warns when no Nostr secret is given', async () => {
    const run = await runCli([
      'keys',
      'import',
      '--ed25519-seed',
      SEED,
      '--out',
      join(tempDir(), 'k'),
    ])
    expect(run.code).toBe(0)
    expect(run.err).toMatch(/warning: no --nostr-secret given/)
  })

  it.each<[string[], RegExp]>([
    [
      ['keys', 'import', '--ed25519-seed', 'abc', '--out', '/tmp/x'],
      /^archy: --ed25519-seed: must be 64 hexadecimal characters \(32 bytes\)/,
    ],
    [
      ['keys', 'import', '--ed25519-seed', SEED, '--nostr-secret', 'xyz', '--out', '/tmp/x'],
      /^archy: --nostr-secret: must be 64 hexadecimal characters \(32 bytes\)/,
    ],
    ...['0'.repeat(64), 'f'.repeat(64), CURVE_ORDER].map((secret): [string[], RegExp] => [
      ['keys', 'import', '--ed25519-seed', SEED, '--nostr-secret', secret, '--out', '/tmp/x'],
      new RegExp(
        '^archy: --nostr-secret: not a valid secp256k1 secret key ' +
          '\\(must be 64 hex, nonzero, below the curve order\\)',
      ),
    ]),
    [['keys', 'new'], /--out is required/],
    [['keys', 'new', '--out', '/tmp/x', '--bogus'], /unknown option --bogus \(see archy keys new/],
    [['keys', 'frobnicate'], /unknown command "keys frobnicate"/],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    const run = await runCli(args)
    expect(run.code).toBe(2)
    expect(run.err).toMatch(message)
  })

  it('says a key file that is a directory is a directory', async () => {
    const dir = tempDir()
    const run = await runCli(['keys', 'show', '--key', dir])
    expect(run.code).toBe(1)
    expect(run.err).toBe(`archy: ${dir} is a directory, not a key file`)
  })

  it('never prints a refused --nostr-secret', async () => {
    const secret = 'f'.repeat(64)
    const run = await runCli([
      'keys',
      'import',
      '--ed25519-seed',
      SEED,
      '--nostr-secret',
      secret,
      '--out',
      join(tempDir(), 'k'),
    ])
    expect(run.code).toBe(2)
    expect(run.err).not.toContain(secret)
  })

  it('refuses a key file readable by others', async () => {
    const file = join(tempDir(), 'open.keys')
    await runCli(['keys', 'new', '--out', file])
    execFileSync('chmod', ['644', file])
    const run = await runCli(['keys', 'show', '--key', file])
    expect(run.code).toBe(1)
    expect(run.err).toMatch(/readable by others/)
  })
})

describe('archy proof verify', () => {
  it('accepts a signed document and refuses it once changed', async () => {
    const dir = tempDir()
    const key = generateEd25519()
    const signed = signDocument({ hello: 'world' }, key)
    writeFileSync(join(dir, 'doc.json'), JSON.stringify(signed))
    const ok = await runCli(['proof', 'verify', join(dir, 'doc.json')])
    expect(ok.code).toBe(0)
    expect(ok.out).toContain(key.did)

    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...signed, hello: 'there' }))
    const bad = await runCli(['proof', 'verify', join(dir, 'bad.json')])
    expect(bad.code).toBe(1)
    expect(bad.err).toMatch(/signature does not verify/)
  })

  it('verifies the W3C vector only with --public-key', async () => {
    const vector = new URL('../../vectors/eddsa-jcs-2022/signed.json', import.meta.url).pathname
    const without = await runCli(['proof', 'verify', vector])
    expect(without.code).toBe(1)
    expect(without.err).toMatch(/is not a did:key/)
    const withKey = await runCli([
      'proof',
      'verify',
      vector,
      '--public-key',
      'z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2',
    ])
    expect(withKey.code).toBe(0)
  })

  it('names the mismatch when --public-key is not the key the proof names', async () => {
    const dir = tempDir()
    const key = generateEd25519()
    const other = generateEd25519()
    writeFileSync(join(dir, 'doc.json'), JSON.stringify(signDocument({ hello: 'world' }, key)))
    const run = await runCli([
      'proof',
      'verify',
      join(dir, 'doc.json'),
      '--public-key',
      other.multikey,
    ])
    expect(run.code).toBe(1)
    expect(run.err).toBe(
      `archy: proof: does not verify with the given public key ${other.multikey}: ` +
        `its verificationMethod names another key, ${key.multikey}`,
    )
  })

  it('names a created that is not RFC 3339 as a format error of proof.created', async () => {
    const dir = tempDir()
    const signed = signDocument({ hello: 'world' }, generateEd25519())
    const proof = { ...(signed.proof as object), created: 'yesterday' }
    writeFileSync(join(dir, 'doc.json'), JSON.stringify({ ...signed, proof }))
    const run = await runCli(['proof', 'verify', join(dir, 'doc.json')])
    expect(run.code).toBe(1)
    expect(run.err).toBe(
      'archy: proof.created: "yesterday" is not an RFC 3339 timestamp (2026-12-03T18:00:00Z)',
    )
  })

  it('names a file that is not JSON and a bad --public-key', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'x.json'), '{nope')
    expect((await runCli(['proof', 'verify', join(dir, 'x.json')])).err).toMatch(/not valid JSON/)
    const run = await runCli(['proof', 'verify', join(dir, 'x.json'), '--public-key', 'abc'])
    expect(run.code).toBe(2)
  })
})

describe('archy blob hash', () => {
  it('prints the BLAKE3 digest of a file', async () => {
    const file = join(tempDir(), 'empty')
    writeFileSync(file, '')
    const run = await runCli(['blob', 'hash', file])
    expect(run.out).toBe('af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262')
  })

  it('names a directory given as the file', async () => {
    const run = await runCli(['blob', 'hash', tempDir()])
    expect(run.code).toBe(1)
    expect(run.err).toMatch(/is not a file$/)
  })

  it('fails on a missing file', async () => {
    const run = await runCli(['blob', 'hash', '/nonexistent/file'])
    expect(run.code).toBe(1)
    expect(run.err).toMatch(/cannot read/)
  })
})
