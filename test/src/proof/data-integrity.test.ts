// eddsa-jcs-2022 Data Integrity proofs: the W3C vector byte for byte, signing and
// verifying with did:key, tampered or foreign proofs refused, and proof sets.
import { readFileSync } from 'node:fs'

import { base58 } from '@scure/base'
import { describe, expect, it } from 'vitest'

import {
  ed25519FromSeed,
  decodeSecretMultikey,
  generateEd25519,
  signEd25519,
} from '../../../src/identity/did-key.js'
import {
  hashForSigning,
  signDocument,
  signDocumentWithAll,
  verifyDocument,
} from '../../../src/proof/data-integrity.js'

const vectors = new URL('../../vectors/eddsa-jcs-2022/', import.meta.url)
const signed = JSON.parse(readFileSync(new URL('signed.json', vectors), 'utf8'))
const keyPair = JSON.parse(readFileSync(new URL('key-pair.json', vectors), 'utf8'))

describe('eddsa-jcs-2022 official vector', () => {
  const seed = decodeSecretMultikey(keyPair.privateKeyMultibase)
  const key = ed25519FromSeed(seed)

  it('derives the vector public key from the vector secret key', () => {
    expect(key.multikey).toBe(keyPair.publicKeyMultibase)
  })

  it('reproduces the vector signature byte for byte', () => {
    const { proof, ...unsecured } = signed
    const { proofValue, ...config } = proof
    const signature = signEd25519(seed, hashForSigning(unsecured, config))
    expect(Buffer.from(signature).toString('hex')).toBe(keyPair.signatureHex)
    expect('z' + base58.encode(signature)).toBe(proofValue)
  })

  it('verifies the signed vector with its public key', () => {
    const [result] = verifyDocument(signed, { publicKey: keyPair.publicKeyMultibase })
    expect(result?.verificationMethod).toContain('#z6MkrJVnaZ')
  })

  it('refuses a verificationMethod that is not a did:key without --public-key', () => {
    expect(() => verifyDocument(signed)).toThrow(/is not a did:key/)
  })

  it('refuses the vector after one field changed', () => {
    const changed = { ...signed, name: 'Forged Credential' }
    expect(() => verifyDocument(changed, { publicKey: keyPair.publicKeyMultibase })).toThrow(
      /signature does not verify/,
    )
  })
})

describe('signDocument', () => {
  it('round-trips with a did:key verificationMethod', () => {
    const key = generateEd25519()
    const document = signDocument({ type: 'Thing', value: 'é𝄞\n"' }, key)
    expect(verifyDocument(document)).toEqual([
      { did: key.did, verificationMethod: `${key.did}#${key.multikey}` },
    ])
  })

  it('signs the same way whatever the key order', () => {
    const key = generateEd25519()
    const created = new Date('2026-01-01T00:00:00Z')
    const a = signDocument({ a: 1, b: 2 }, key, { created })
    const b = signDocument({ b: 2, a: 1 }, key, { created })
    expect(a.proof).toEqual(b.proof)
  })

  it('refuses a proof made by another key than the one named', () => {
    const key = generateEd25519()
    const other = generateEd25519()
    const document = signDocument({ x: 1 }, key)
    const proof = {
      ...(document.proof as object),
      verificationMethod: `${other.did}#${other.multikey}`,
    }
    expect(() => verifyDocument({ ...document, proof })).toThrow(/does not verify/)
  })

  it('refuses a missing proof, a wrong cryptosuite and a non-object', () => {
    const key = generateEd25519()
    const document = signDocument({ x: 1 }, key)
    expect(() => verifyDocument({ x: 1 })).toThrow(/has no proof/)
    const proof = { ...(document.proof as object), cryptosuite: 'eddsa-rdfc-2022' }
    expect(() => verifyDocument({ ...document, proof })).toThrow(/cryptosuite/)
    expect(() => verifyDocument([1])).toThrow(/must be a JSON object/)
  })

  it('makes and verifies a proof set with one proof per key', () => {
    const keys = [generateEd25519(), generateEd25519()]
    const document = signDocumentWithAll({ type: 'Rotation' }, keys)
    expect(verifyDocument(document).map((r) => r.did)).toEqual(keys.map((k) => k.did))
  })
})
