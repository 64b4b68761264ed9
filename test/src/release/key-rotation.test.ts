// Key rotation statements and catalogs that carry them: a statement needs both keys' proofs, a
// chain must link and climb, and an agent's pin moves only along a chain from the pinned key.
import { describe, expect, it } from 'vitest'

import { generateEd25519, type Ed25519Keypair } from '../../../src/identity/did-key.js'
import { signDocument } from '../../../src/proof/data-integrity.js'
import { signCatalog, verifyCatalog, type Catalog } from '../../../src/release/catalog.js'
import {
  checkKeyRotation,
  checkRotationChain,
  followRotations,
  signKeyRotation,
  type KeyRotation,
} from '../../../src/release/key-rotation.js'

const first = generateEd25519()
const second = generateEd25519()
const third = generateEd25519()

function rotation(from: Ed25519Keypair, to: Ed25519Keypair, sequence: number): KeyRotation {
  const body = {
    type: 'ArchipelagoKeyRotation' as const,
    old_did: from.did,
    new_did: to.did,
    sequence,
    issued_at: '2026-12-04T00:00:00Z',
  }
  return signKeyRotation(body, from, to)
}

function catalogBy(signer: Ed25519Keypair, sequence: number, rotations?: KeyRotation[]): Catalog {
  return signCatalog(
    {
      type: 'ArchipelagoCatalog',
      registry: { did: signer.did, url: 'http://127.0.0.1:1', relay: 'ws://127.0.0.1:1' },
      sequence,
      issued_at: '2026-12-04T00:00:00Z',
      expires_at: new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'),
      apps: [],
      ...(rotations && { rotations }),
    },
    signer,
  )
}

describe('checkKeyRotation', () => {
  it('accepts a statement signed by the old and the new key', () => {
    const statement = rotation(first, second, 5)
    expect(checkKeyRotation(statement)).toBe(statement)
    expect(statement.proof).toHaveLength(2)
  })

  it.each<[string, () => unknown, RegExp]>([
    [
      'a statement with one proof only',
      () => {
        const { proof: _proof, ...body } = rotation(first, second, 5)
        return signDocument(body, second)
      },
      /^rotation\.proof: must be a proof set of two, by old_did and new_did$/,
    ],
    [
      'a proof set by the new key and a stranger',
      () => {
        const { proof: _proof, ...body } = rotation(first, second, 5)
        const other = signDocument(body, third)
        return { ...body, proof: [...rotation(first, second, 5).proof.slice(1), other.proof] }
      },
      /^rotation\.proof: signed by .+, not by both old_did and new_did$/,
    ],
    [
      'a statement changed after signing',
      () => ({ ...rotation(first, second, 5), sequence: 6 }),
      /^rotation: .*signature does not verify/,
    ],
    [
      'the same key twice',
      () => ({ ...rotation(first, second, 5), new_did: first.did }),
      /^rotation\.new_did: must differ from old_did$/,
    ],
    [
      'a sequence of zero',
      () => ({ ...rotation(first, second, 5), sequence: 0 }),
      /^rotation\.sequence: must be a positive integer$/,
    ],
    [
      'an old_did that is no did:key',
      () => ({ ...rotation(first, second, 5), old_did: 'did:web:example.org' }),
      /^rotation\.old_did: must be an Ed25519 did:key$/,
    ],
  ])('refuses %s', (_name, build, message) => {
    expect(() => checkKeyRotation(build())).toThrow(message)
  })
})

describe('checkRotationChain and followRotations', () => {
  const chain = [rotation(first, second, 3), rotation(second, third, 8)]

  it('follows a chain from any key in it to its end', () => {
    expect(checkRotationChain(chain)).toEqual(chain)
    expect(followRotations(chain, first.did).at(-1)?.new_did).toBe(third.did)
    expect(followRotations(chain, second.did)).toEqual([chain[1]])
    expect(followRotations(chain, third.did)).toEqual([])
  })

  it('refuses a chain that does not link or whose sequences do not climb', () => {
    expect(() => checkRotationChain([chain[0], rotation(first, third, 9)])).toThrow(
      /^rotations\[1\]\.old_did: must be the new_did of rotations\[0\]$/,
    )
    expect(() => checkRotationChain([chain[0], rotation(second, third, 3)])).toThrow(
      /^rotations\[1\]\.sequence: must be higher than rotations\[0\]'s$/,
    )
  })
})

describe('verifyCatalog with key rotations', () => {
  const chain = [rotation(first, second, 4)]

  it('accepts the new key for an agent that pinned the old one, naming the signer', () => {
    const verified = verifyCatalog(catalogBy(second, 4, chain), { pinnedDid: first.did })
    expect(verified.signerDid).toBe(second.did)
  })

  it('follows a chain of two rotations', () => {
    const both = [...chain, rotation(second, third, 9)]
    const verified = verifyCatalog(catalogBy(third, 9, both), { pinnedDid: first.did })
    expect(verified.signerDid).toBe(third.did)
  })

  it.each<[string, () => Catalog, string, RegExp]>([
    [
      'the new key without a statement',
      () => catalogBy(second, 4),
      first.did,
      /^catalog: signed by \S+, not by the pinned registry key \S+, and no rotation statement/,
    ],
    [
      'the old key in a catalog whose own rotations replaced it',
      () => catalogBy(first, 5, chain),
      first.did,
      /^catalog: signed by \S+, a key its own rotations replaced by \S+ at sequence 4$/,
    ],
    [
      'a rotation chain that does not start at the pinned key',
      () => catalogBy(second, 4, chain),
      third.did,
      /not by the pinned registry key/,
    ],
    [
      'a sequence below the one where the rotation begins',
      () => catalogBy(second, 3, chain),
      first.did,
      /^catalog: sequence 3 is lower than 4, where the rotation to \S+ begins$/,
    ],
  ])('refuses %s', (_name, build, pinnedDid, message) => {
    expect(() => verifyCatalog(build(), { pinnedDid })).toThrow(message)
  })

  it('names a key rotated out, once the pin moved past it', () => {
    expect(() =>
      verifyCatalog(catalogBy(first, 9), { pinnedDid: second.did, knownRotations: chain }),
    ).toThrow(
      `catalog: signed by ${first.did}, a key rotated out at sequence 4; ` +
        `the pinned registry key is ${second.did}`,
    )
  })

  it('refuses a registry.did other than its signer', () => {
    const catalog = catalogBy(first, 1)
    const { proof: _proof, ...body } = catalog
    const lying = signCatalog({ ...body, registry: { ...body.registry, did: second.did } }, first)
    expect(() => verifyCatalog(lying, { pinnedDid: first.did })).toThrow(
      /^catalog: registry\.did \S+ is not the key that signed it/,
    )
  })
})
