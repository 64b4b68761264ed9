// W3C Data Integrity proofs, cryptosuite eddsa-jcs-2022 (vc-di-eddsa §3.3): document and proof
// options are each JCS-canonicalized and SHA-256 hashed; Ed25519 signs the options hash, then the
// document hash. A `proof` array is a proof set (each covers the bare document), for key rotation.
import { createHash } from 'node:crypto'

import { base58 } from '@scure/base'

import { ValidationError, VerificationError } from '../errors.js'
import {
  decodeMultikey,
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
  if (publicKeyOverride === undefined && !method.startsWith('did:key:')) {
    throw new VerificationError(
      `${path}.verificationMethod: "${method}" is not a did:key; pass --public-key to verify it`,
    )
  }
  const publicKey = decodeMultikey(publicKeyOverride ?? method)
  if (publicKeyOverride === undefined) {
    const [did, fragment] = method.split('#')
    if (fragment !== undefined && fragment !== did!.slice('did:key:'.length)) {
      throw new VerificationError(`${path}.verificationMethod: fragment does not name the did:key`)
    }
  }
  let signature: Uint8Array
  try {
    signature = base58.decode(proofValue.slice(1))
  } catch {
    throw new VerificationError(`${path}.proofValue: is not base58btc`)
  }
  const message = hashForSigning(unsecured, config)
  if (!verifyEd25519(publicKey, message, signature)) {
    throw new VerificationError(`${path}: signature does not verify (the document was changed)`)
  }
  return { did: method.split('#')[0]!, verificationMethod: method }
}

function checkProofShape(proof: unknown, path: string): DataIntegrityProof {
  if (typeof proof !== 'object' || proof === null) {
    throw new VerificationError(`${path}: must be an object`)
  }
  const p = proof as Record<string, unknown>
  if (p.type !== 'DataIntegrityProof') {
    throw new VerificationError(`${path}.type: must be "DataIntegrityProof"`)
  }
  if (p.cryptosuite !== 'eddsa-jcs-2022') {
    throw new VerificationError(`${path}.cryptosuite: must be "eddsa-jcs-2022"`)
  }
  for (const field of ['verificationMethod', 'proofPurpose', 'proofValue'] as const) {
    if (typeof p[field] !== 'string' || p[field] === '') {
      throw new VerificationError(`${path}.${field}: must be a non-empty string`)
    }
  }
  if (!(p.proofValue as string).startsWith('z')) {
    throw new VerificationError(`${path}.proofValue: must be multibase base58btc (z...)`)
  }
  return p as unknown as DataIntegrityProof
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
