// Operator key rotation (DESIGN.md §4, "Key rotation"): a statement naming the old and the new
// catalog key, signed by both (an eddsa-jcs-2022 proof set). A chain of them is the only thing
// that moves an agent's pin from one registry key to another.
import { ValidationError, VerificationError } from '../errors.js'
import { isEd25519DidKey, type Ed25519Keypair } from '../identity/did-key.js'
import {
  signDocumentWithAll,
  verifyDocument,
  type DataIntegrityProof,
} from '../proof/data-integrity.js'
import { isRfc3339 } from '../rfc3339.js'

export interface KeyRotationBody {
  type: 'ArchipelagoKeyRotation'
  old_did: string
  new_did: string
  /** The first catalog sequence the new key signs. */
  sequence: number
  issued_at: string
}

export type KeyRotation = KeyRotationBody & { proof: DataIntegrityProof[] }

/** Signs a rotation statement with the old and the new key. */
export function signKeyRotation(
  body: KeyRotationBody,
  oldKey: Ed25519Keypair,
  newKey: Ed25519Keypair,
): KeyRotation {
  if (oldKey.did !== body.old_did || newKey.did !== body.new_did) {
    throw new ValidationError('rotation', 'the keys must be the old_did and new_did it names')
  }
  return signDocumentWithAll(body, [oldKey, newKey]) as KeyRotation
}

/** Checks one statement: its fields, and one valid proof by each of the two keys it names. */
export function checkKeyRotation(value: unknown, path = 'rotation'): KeyRotation {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(path, 'must be a JSON object')
  }
  const r = value as Record<string, unknown>
  if (r.type !== 'ArchipelagoKeyRotation') {
    throw new ValidationError(`${path}.type`, 'must be "ArchipelagoKeyRotation"')
  }
  for (const field of ['old_did', 'new_did'] as const) {
    if (typeof r[field] !== 'string' || !isEd25519DidKey(r[field] as string)) {
      throw new ValidationError(`${path}.${field}`, 'must be an Ed25519 did:key')
    }
  }
  if (r.old_did === r.new_did) {
    throw new ValidationError(`${path}.new_did`, 'must differ from old_did')
  }
  if (!Number.isSafeInteger(r.sequence) || (r.sequence as number) < 1) {
    throw new ValidationError(`${path}.sequence`, 'must be a positive integer')
  }
  if (typeof r.issued_at !== 'string' || !isRfc3339(r.issued_at)) {
    throw new ValidationError(`${path}.issued_at`, 'must be an RFC 3339 timestamp')
  }
  if (!Array.isArray(r.proof) || r.proof.length !== 2) {
    throw new VerificationError(`${path}.proof: must be a proof set of two, by old_did and new_did`)
  }

  let signers: string[]
  try {
    signers = verifyDocument(value).map((proof) => proof.did)
  } catch (error) {
    throw new VerificationError(`${path}: ${(error as Error).message}`, { cause: error })
  }
  if (!signers.includes(r.old_did as string) || !signers.includes(r.new_did as string)) {
    throw new VerificationError(
      `${path}.proof: signed by ${signers.join(' and ')}, not by both old_did and new_did`,
    )
  }
  return value as KeyRotation
}

/**
 * Checks a chain: every statement valid, each one's old_did the previous one's new_did, sequences
 * strictly increasing. Returns the statements.
 */
export function checkRotationChain(value: unknown, path = 'rotations'): KeyRotation[] {
  if (!Array.isArray(value)) throw new ValidationError(path, 'must be an array')
  const chain = value.map((item, index) => checkKeyRotation(item, `${path}[${index}]`))
  chain.forEach((rotation, index) => {
    const previous = chain[index - 1]
    if (!previous) return
    if (rotation.old_did !== previous.new_did) {
      throw new VerificationError(
        `${path}[${index}].old_did: must be the new_did of ${path}[${index - 1}]`,
      )
    }
    if (rotation.sequence <= previous.sequence) {
      throw new VerificationError(
        `${path}[${index}].sequence: must be higher than ${path}[${index - 1}]'s`,
      )
    }
  })
  return chain
}

/**
 * Where a pinned DID leads through a chain: the statements from the one whose old_did is `did`
 * to the end. Empty when the chain does not start from `did` anywhere.
 */
export function followRotations(chain: KeyRotation[], did: string): KeyRotation[] {
  const start = chain.findIndex((rotation) => rotation.old_did === did)
  return start === -1 ? [] : chain.slice(start)
}
