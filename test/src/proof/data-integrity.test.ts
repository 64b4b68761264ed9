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

/** A document with a proof by `key` whose options carry `overrides`, correctly signed over them. */
function signWith(
  key: ReturnType<typeof generateEd25519>,
  overrides: Record<string, unknown>,
): Record<string, unknown> {
  const unsecured = { type: 'Thing', value: 1 }
  const config = {
    type: 'DataIntegrityProof',
    cryptosuite: 'eddsa-jcs-2022',
    verificationMethod: `${key.did}#${key.multikey}`,
    proofPurpose: 'assertionMethod',
    created: '2026-12-03T18:00:00Z',
    ...overrides,
  }
  const signature = signEd25519(key.seed, hashForSigning(unsecured, config))
  return { ...unsecured, proof: { ...config, proofValue: 'z' + base58.encode(signature) } }
}

describe('verifyDocument with a given public key', () => {
  it('names both keys when the given one is not the key the proof names', () => {
    const key = generateEd25519()
    const other = generateEd25519()
    const document = signDocument({ x: 1 }, key)
    expect(() => verifyDocument(document, { publicKey: other.multikey })).toThrow(
      `proof: does not verify with the given public key ${other.multikey}: ` +
        `its verificationMethod names another key, ${key.multikey}`,
    )
  })

  it('says the document was changed when the given key is the one the proof names', () => {
    const key = generateEd25519()
    const document = { ...signDocument({ x: 1 }, key), x: 2 }
    expect(() => verifyDocument(document, { publicKey: key.multikey })).toThrow(
      'proof: signature does not verify (the document was changed)',
    )
  })

  it('does not claim a change when a key the proof does not name fails', () => {
    const other = generateEd25519()
    expect(() => verifyDocument(signed, { publicKey: other.multikey })).toThrow(
      'proof: signature does not verify with the given public key ' +
        '(another key made it, or the document was changed)',
    )
  })
})

describe('verifyDocument proof format', () => {
  const key = generateEd25519()
  const did = key.did

  it.each<[string, Record<string, unknown>, string]>([
    [
      'an unknown proofPurpose',
      { proofPurpose: 'bragging' },
      'proof.proofPurpose: "bragging" is not a purpose an Ed25519 key signs for ' +
        '(assertionMethod, authentication, capabilityInvocation, capabilityDelegation)',
    ],
    [
      'keyAgreement as the proofPurpose',
      { proofPurpose: 'keyAgreement' },
      'proof.proofPurpose: "keyAgreement" is not a purpose',
    ],
    [
      'a did:key verificationMethod without a fragment',
      { verificationMethod: did },
      `proof.verificationMethod: "${did}" has no #fragment naming the key; ` +
        `a did:key method is ${did}#${key.multikey}`,
    ],
    [
      'a did:key verificationMethod with an empty fragment',
      { verificationMethod: `${did}#` },
      `proof.verificationMethod: "${did}#" has no #fragment naming the key`,
    ],
    [
      'a fragment that is not the did:key',
      { verificationMethod: `${did}#key-1` },
      `proof.verificationMethod: fragment #key-1 does not name the did:key ${did}`,
    ],
    [
      'another DID without a fragment',
      { verificationMethod: 'did:web:example.org' },
      'proof.verificationMethod: "did:web:example.org" has no #fragment naming the key',
    ],
    [
      'a did:key that is not Ed25519',
      { verificationMethod: 'did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme#x' },
      'proof.verificationMethod: "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme#x" ' +
        'is not an Ed25519 did:key',
    ],
    [
      'created "yesterday"',
      { created: 'yesterday' },
      'proof.created: "yesterday" is not an RFC 3339 timestamp (2026-12-03T18:00:00Z)',
    ],
    ['created as a number', { created: 1_700_000_000 }, 'proof.created: 1700000000 is not an RFC'],
    ['created without a zone', { created: '2026-12-03T18:00:00' }, 'proof.created: "2026-12-03T'],
    ['created with a space', { created: '2026-12-03 18:00:00Z' }, 'proof.created: "2026-12-03 '],
    ['created on February 30', { created: '2026-02-30T18:00:00Z' }, 'proof.created: "2026-02-30'],
    ['created at hour 24', { created: '2026-12-03T24:00:00Z' }, 'proof.created: "2026-12-03T24'],
  ])('refuses %s as a format error naming the field', (_name, overrides, message) => {
    const document = signWith(key, overrides)
    let thrown: unknown
    try {
      verifyDocument(document)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toMatchObject({ code: 'invalid' })
    expect((thrown as Error).message.startsWith(message)).toBe(true)
  })

  it.each<[string, Record<string, unknown>]>([
    ['authentication', { proofPurpose: 'authentication' }],
    ['capabilityInvocation', { proofPurpose: 'capabilityInvocation' }],
    ['a created with fractions and an offset', { created: '2026-12-03T18:00:00.123+02:00' }],
    ['a created with lowercase t and z', { created: '2026-12-03t18:00:00z' }],
    ['a leap second', { created: '2016-12-31T23:59:60Z' }],
    ['February 29 of a leap year', { created: '2028-02-29T00:00:00Z' }],
    ['no created (it is optional)', { created: undefined }],
  ])('accepts %s', (_name, overrides) => {
    expect(verifyDocument(signWith(key, overrides))).toEqual([
      { did, verificationMethod: `${did}#${key.multikey}` },
    ])
  })
})
