// W3C Data Integrity proofs, cryptosuite eddsa-jcs-2022 (vc-di-eddsa §3.3): document and proof
// options are each JCS-canonicalized and SHA-256 hashed; Ed25519 signs the options hash, then the
// document hash. A `proof` array is a proof set (each covers the bare document), for key rotation.
import { createHash } from 'node:crypto'

import { base58 } from '@scure/base'

import { ValidationError, VerificationError } from '../errors.js'
import { isRfc3339 } from '../rfc3339.js'
import {
  decodeMultikey,
  encodeMultikey,
  signEd25519,
  verifyEd25519,
  type Ed25519Keypair,
} from '../identity/did-key.js'
import { canonicalize } from './jcs.js'

export interface DataIntegrityProof {
  type: 'DataIntegrityProof'
  cryptosuite: 'eddsa-jcs-2022'
  verificationMethod: string
  proofPurpose: string
  created: string
  proofValue: string
  '@context'?: unknown
}

// The verification relationships of a did:key document that an Ed25519 key signs for (did:key
// §3.1.1); keyAgreement is an X25519 key and never signs.
const PROOF_PURPOSES = [
  'assertionMethod',
  'authentication',
  'capabilityInvocation',
  'capabilityDelegation',
]

export type Signed<T> = T & { proof: DataIntegrityProof | DataIntegrityProof[] }

export interface SignOptions {
  created?: Date
  proofPurpose?: string
}

export interface VerifiedProof {
  /** The controller DID of the key that signed (did:key for our keys). */
  did: string
  verificationMethod: string
}

/** Signs a document, replacing any proof it had. */
export function signDocument<T extends object>(
  document: T,
  key: Ed25519Keypair,
  options: SignOptions = {},
): Signed<Omit<T, 'proof'>> {
  const unsecured = withoutProof(document)
  return { ...unsecured, proof: createProof(unsecured, key, options) }
}

/** Signs a document with several keys at once: a proof set (one proof per key). */
export function signDocumentWithAll<T extends object>(
  document: T,
  keys: Ed25519Keypair[],
  options: SignOptions = {},
): Signed<Omit<T, 'proof'>> {
  const unsecured = withoutProof(document)
  return { ...unsecured, proof: keys.map((key) => createProof(unsecured, key, options)) }
}

/** Makes one proof over a document that has no `proof` member. */
export function createProof(
  unsecured: object,
  key: Ed25519Keypair,
  options: SignOptions = {},
): DataIntegrityProof {
  const created = (options.created ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z')
  const config: Omit<DataIntegrityProof, 'proofValue'> = {
    type: 'DataIntegrityProof',
    cryptosuite: 'eddsa-jcs-2022',
    verificationMethod: `${key.did}#${key.multikey}`,
    proofPurpose: options.proofPurpose ?? 'assertionMethod',
    created,
  }
  const context = (unsecured as { '@context'?: unknown })['@context']
  if (context !== undefined) config['@context'] = context
  const signature = signEd25519(key.seed, hashForSigning(unsecured, config))
  return { ...config, proofValue: 'z' + base58.encode(signature) }
}

/**
 * Verifies every proof on a document and returns who signed. Without `publicKey`, the key comes
 * from the verificationMethod, which must be a did:key (nothing is ever fetched).
 */
export function verifyDocument(
  document: unknown,
  options: { publicKey?: string } = {},
): VerifiedProof[] {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new ValidationError('document', 'must be a JSON object')
  }
  const raw = (document as { proof?: unknown }).proof
  if (raw === undefined) throw new VerificationError('document has no proof')
  const proofs = Array.isArray(raw) ? raw : [raw]
  if (proofs.length === 0) throw new VerificationError('document has an empty proof set')
  const unsecured = withoutProof(document as object)
  return proofs.map((proof, index) => {
    const path = Array.isArray(raw) ? `proof[${index}]` : 'proof'
    return verifyProof(unsecured, proof, path, options.publicKey)
  })
}

function verifyProof(
  unsecured: object,
  proof: unknown,
  path: string,
  publicKeyOverride: string | undefined,
): VerifiedProof {
  const checked = checkProofShape(proof, path)
  const { proofValue, ...config } = checked
  if (config['@context'] !== undefined) {
    const context = (unsecured as { '@context'?: unknown })['@context']
    if (!contextStartsWith(context, config['@context'])) {
      throw new VerificationError(`${path}.@context: does not match the document's @context`)
    }
  }
  const method = config.verificationMethod
  const named = namedKey(method, `${path}.verificationMethod`)
  if (publicKeyOverride === undefined && named === undefined) {
    throw new VerificationError(
      `${path}.verificationMethod: "${method}" is not a did:key; pass --public-key to verify it`,
    )
  }

  // A given key that is not the one the proof names can never verify it: say so, not "changed".
  const given = publicKeyOverride === undefined ? undefined : decodeMultikey(publicKeyOverride)
  if (given !== undefined && named !== undefined && !sameBytes(given, named)) {
    throw new VerificationError(
      `${path}: does not verify with the given public key ${encodeMultikey(given)}: ` +
        `its verificationMethod names another key, ${encodeMultikey(named)}`,
    )
  }
  const publicKey = (given ?? named)!
  let signature: Uint8Array
  try {
    signature = base58.decode(proofValue.slice(1))
  } catch {
    throw new ValidationError(`${path}.proofValue`, 'is not base58btc')
  }
  const message = hashForSigning(unsecured, config)
  if (!verifyEd25519(publicKey, message, signature)) {
    // With the proof's own key, a signature that fails means the signed bytes were changed.
    const reason =
      named === undefined
        ? 'with the given public key (another key made it, or the document was changed)'
        : '(the document was changed)'
    throw new VerificationError(`${path}: signature does not verify ${reason}`)
  }
  return { did: method.split('#')[0]!, verificationMethod: method }
}

/**
 * The key a did:key verificationMethod names, undefined for another URL: its key lives in a
 * document elsewhere, which is never fetched. A DID URL needs its `#fragment`.
 */
function namedKey(method: string, field: string): Uint8Array | undefined {
  const hash = method.indexOf('#')
  const base = hash < 0 ? method : method.slice(0, hash)
  const fragment = hash < 0 ? undefined : method.slice(hash + 1)
  if (method.startsWith('did:key:')) {
    let key: Uint8Array
    try {
      key = decodeMultikey(base)
    } catch {
      throw new ValidationError(field, `"${method}" is not an Ed25519 did:key`)
    }
    const multikey = base.slice('did:key:'.length)
    if (!fragment) {
      throw new ValidationError(
        field,
        `"${method}" has no #fragment naming the key; a did:key method is ${base}#${multikey}`,
      )
    }
    if (fragment !== multikey) {
      throw new ValidationError(field, `fragment #${fragment} does not name the did:key ${base}`)
    }
    return key
  }
  // DID Core §5.2: a verification method's id is a DID URL with a fragment; the DID alone names
  // its subject, not a key.
  if (method.startsWith('did:') && !fragment) {
    throw new ValidationError(field, `"${method}" has no #fragment naming the key`)
  }
  return undefined
}

function checkProofShape(proof: unknown, path: string): DataIntegrityProof {
  if (typeof proof !== 'object' || proof === null || Array.isArray(proof)) {
    throw new ValidationError(path, 'must be an object')
  }
  const p = proof as Record<string, unknown>
  if (p.type !== 'DataIntegrityProof') {
    throw new ValidationError(`${path}.type`, 'must be "DataIntegrityProof"')
  }
  if (p.cryptosuite !== 'eddsa-jcs-2022') {
    throw new ValidationError(`${path}.cryptosuite`, 'must be "eddsa-jcs-2022"')
  }
  for (const field of ['verificationMethod', 'proofPurpose', 'proofValue'] as const) {
    if (typeof p[field] !== 'string' || p[field] === '') {
      throw new ValidationError(`${path}.${field}`, 'must be a non-empty string')
    }
  }
  if (!PROOF_PURPOSES.includes(p.proofPurpose as string)) {
    throw new ValidationError(
      `${path}.proofPurpose`,
      `${JSON.stringify(p.proofPurpose)} is not a purpose an Ed25519 key signs for ` +
        `(${PROOF_PURPOSES.join(', ')})`,
    )
  }
  // vc-data-integrity §2.1: `created` is optional, and an XML Schema dateTimeStamp when present.
  if (p.created !== undefined && (typeof p.created !== 'string' || !isRfc3339(p.created))) {
    throw new ValidationError(
      `${path}.created`,
      `${JSON.stringify(p.created)} is not an RFC 3339 timestamp (2026-12-03T18:00:00Z)`,
    )
  }
  if (!(p.proofValue as string).startsWith('z')) {
    throw new ValidationError(`${path}.proofValue`, 'must be multibase base58btc (z...)')
  }
  return p as unknown as DataIntegrityProof
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index])
}

/** SHA-256(JCS(proof config)) || SHA-256(JCS(document)), as the cryptosuite defines. */
export function hashForSigning(unsecured: object, config: object): Uint8Array {
  const configHash = sha256(canonicalize(config))
  const documentHash = sha256(canonicalize(unsecured))
  return new Uint8Array(Buffer.concat([configHash, documentHash]))
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}

function withoutProof<T extends object>(document: T): Omit<T, 'proof'> {
  const copy = { ...document } as T & { proof?: unknown }
  delete copy.proof
  return copy
}

function contextStartsWith(context: unknown, prefix: unknown): boolean {
  const list = Array.isArray(context) ? context : [context]
  const want = Array.isArray(prefix) ? prefix : [prefix]
  return want.every((entry, index) => canonicalize(entry) === canonicalize(list[index] ?? null))
}
