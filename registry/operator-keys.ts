// The operator's catalog key and its rotations (DESIGN.md §4, "Key rotation"): the key file in the
// data directory, and `rotations.json`, the chain of statements every later catalog embeds.
// Rotation writes the new key, then the chain, then swaps the key files, so it can be resumed.
import { randomUUID } from 'node:crypto'
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import { ArchyError } from '../src/errors.js'
import { generateEd25519 } from '../src/identity/did-key.js'
import { readKeyFile, writeKeyFile, type KeyPairs } from '../src/identity/key-file.js'
import { generateNostrKeys } from '../src/identity/nostr-keys.js'
import {
  checkKeyRotation,
  checkRotationChain,
  signKeyRotation,
  type KeyRotation,
} from '../src/release/key-rotation.js'
import { acquireDataLock } from './data-lock.js'
import { openRegistryStore } from './store.js'

const KEY_FILE = 'operator.keys.json'
const NEXT_KEY_FILE = 'operator.keys.next.json'
const ROTATIONS_FILE = 'rotations.json'

export interface OperatorIdentity {
  keys: KeyPairs
  /** Every rotation so far, oldest first; the last one's new_did is `keys.ed25519.did`. */
  rotations: KeyRotation[]
}

export interface KeyRotationResult {
  oldDid: string
  newDid: string
  /** The first catalog sequence the new key signs. */
  sequence: number
  /** Where the old key file was moved (absent when a rotation was only finished). */
  retiredKeyFile?: string
}

/** Reads the operator key (made, 0600, on first start) and checks the rotation chain ends at it. */
export async function loadOperatorIdentity(dataDir: string): Promise<OperatorIdentity> {
  const path = join(dataDir, KEY_FILE)
  const interrupted = await exists(join(dataDir, NEXT_KEY_FILE))
  const resume = 'a key rotation was interrupted: run archy node rotate-key to finish it'
  let keys = await readKeysIfAny(path)
  if (!keys) {
    if (interrupted) throw new ArchyError('key-rotation', `${path} is missing; ${resume}`)
    keys = { ed25519: generateEd25519(), nostr: generateNostrKeys() }
    await writeKeyFile(path, keys)
  }

  const rotations = await readRotations(dataDir).catch((error: Error) => {
    // The state two rotations before a restart left before rotate-key took care: it repairs it.
    if (!/\.sequence: must be higher than /.test(error.message)) throw error
    const repair =
      'run archy node rotate-key to sign the last rotation again with a higher sequence'
    throw new ArchyError('key-rotation', `${error.message}; ${repair}`, { cause: error })
  })
  const end = rotations.at(-1)?.new_did
  if (end !== undefined && end !== keys.ed25519.did) {
    throw new ArchyError(
      'key-rotation',
      `${ROTATIONS_FILE}: the rotations end at ${end}, not at the operator key ` +
        `${keys.ed25519.did}` +
        (interrupted ? `; ${resume}` : ''),
    )
  }
  return { keys, rotations }
}

/**
 * Rotates the operator key: a new key pair, a statement signed by the old and the new key whose
 * sequence is the next catalog's, appended to the chain; the old key file is kept as retired.
 * Resumes a rotation that was interrupted. The node takes the new key when it next starts; while
 * one runs on `dataDir` (it holds the data lock) this refuses, so the old key never signs a
 * sequence the statement gave to the new one.
 */
export async function rotateOperatorKey(dataDir: string): Promise<KeyRotationResult> {
  const lock = await acquireDataLock(dataDir, 'rotating the operator key')
  try {
    return await rotateLocked(dataDir)
  } finally {
    await lock.release()
  }
}

async function rotateLocked(dataDir: string): Promise<KeyRotationResult> {
  const keyPath = join(dataDir, KEY_FILE)
  const nextPath = join(dataDir, NEXT_KEY_FILE)
  let rotations: KeyRotation[]
  try {
    rotations = await readRotations(dataDir)
  } catch (error) {
    const repaired = await resignLastRotation(dataDir).catch(() => undefined)
    if (repaired) return repaired
    throw error
  }
  const current = await readKeysIfAny(keyPath)
  if (!current) {
    // Interrupted between the two renames: only the new key's move is left.
    const next = await readKeysIfAny(nextPath)
    const last = rotations.at(-1)
    if (next && last?.new_did === next.ed25519.did) {
      await rename(nextPath, keyPath)
      return { oldDid: last.old_did, newDid: last.new_did, sequence: last.sequence }
    }
    throw new ArchyError(
      'no-key',
      `data: ${keyPath} does not exist; a node makes its operator key when it first starts`,
    )
  }

  // 1. The new key: a fresh one, or the one an interrupted rotation left.
  let next: KeyPairs
  if (await exists(nextPath)) next = await readKeyFile(nextPath)
  else {
    next = { ed25519: generateEd25519(), nostr: generateNostrKeys() }
    await writeKeyFile(nextPath, next)
  }

  // 2. The statement, unless the chain already ends at the new key.
  let rotation = rotations.at(-1)
  if (rotation?.new_did !== next.ed25519.did) {
    // Above every catalog signed and every earlier statement: a second rotation before the node
    // signed again must not reuse the first one's sequence (the chain requires it to rise).
    const sequence = Math.max(readCatalogSequence(dataDir), rotation?.sequence ?? 0) + 1
    const body = {
      type: 'ArchipelagoKeyRotation' as const,
      old_did: current.ed25519.did,
      new_did: next.ed25519.did,
      sequence,
      issued_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    }
    rotation = signKeyRotation(body, current.ed25519, next.ed25519)
    await writeAtomically(join(dataDir, ROTATIONS_FILE), [...rotations, rotation])
  }

  // 3. Swap the key files: the old one kept aside, the new one in its place.
  const retiredKeyFile = join(dataDir, `operator.keys.retired-${Date.now()}.json`)
  await rename(keyPath, retiredKeyFile)
  await rename(nextPath, keyPath)
  return {
    oldDid: rotation.old_did,
    newDid: rotation.new_did,
    sequence: rotation.sequence,
    retiredKeyFile,
  }
}

/**
 * Repairs a chain whose last statement's sequence is not above the one before it (two rotations
 * before a restart, by a version that gave both the same one): that statement never reached a
 * catalog (the node refuses such a chain), so it is signed again, by the retired key it names and
 * the current one, with a sequence above every catalog and statement. Undefined when not that.
 */
async function resignLastRotation(dataDir: string): Promise<KeyRotationResult | undefined> {
  const path = join(dataDir, ROTATIONS_FILE)
  const value = JSON.parse(await readFile(path, 'utf8')) as unknown
  if (!Array.isArray(value) || value.length < 2) return undefined
  const earlier = checkRotationChain(value.slice(0, -1), ROTATIONS_FILE)
  const last = checkKeyRotation(value.at(-1), `${ROTATIONS_FILE}[${value.length - 1}]`)
  const previous = earlier.at(-1)!
  if (last.old_did !== previous.new_did || last.sequence > previous.sequence) return undefined

  const current = await readKeysIfAny(join(dataDir, KEY_FILE))
  const old = await findRetiredKey(dataDir, last.old_did)
  if (!old || current?.ed25519.did !== last.new_did) return undefined
  const sequence = Math.max(readCatalogSequence(dataDir), previous.sequence) + 1
  const body = {
    type: 'ArchipelagoKeyRotation' as const,
    old_did: last.old_did,
    new_did: last.new_did,
    sequence,
    issued_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  }
  const rotation = signKeyRotation(body, old.ed25519, current.ed25519)
  await writeAtomically(path, [...earlier, rotation])
  return { oldDid: rotation.old_did, newDid: rotation.new_did, sequence }
}

async function findRetiredKey(dataDir: string, did: string): Promise<KeyPairs | undefined> {
  const names = (await readdir(dataDir)).filter((name) =>
    /^operator\.keys\.retired-\d+\.json$/.test(name),
  )
  for (const name of names) {
    const keys = await readKeysIfAny(join(dataDir, name))
    if (keys?.ed25519.did === did) return keys
  }
  return undefined
}

async function readKeysIfAny(path: string): Promise<KeyPairs | undefined> {
  try {
    return await readKeyFile(path)
  } catch (error) {
    if ((error as { cause?: NodeJS.ErrnoException }).cause?.code === 'ENOENT') return undefined
    throw error
  }
}

async function readRotations(dataDir: string): Promise<KeyRotation[]> {
  let text: string
  try {
    text = await readFile(join(dataDir, ROTATIONS_FILE), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new ArchyError('io', `cannot read ${ROTATIONS_FILE}: ${(error as Error).message}`, {
      cause: error,
    })
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new ArchyError('key-rotation', `${ROTATIONS_FILE}: not JSON`, { cause: error })
  }
  return checkRotationChain(value, ROTATIONS_FILE)
}

/** The last catalog sequence the node signed (its store; 0 for a node that never signed one). */
function readCatalogSequence(dataDir: string): number {
  const store = openRegistryStore(join(dataDir, 'registry.sqlite'))
  try {
    return store.catalogState()?.sequence ?? 0
  } finally {
    store.close()
  }
}

async function writeAtomically(path: string, value: unknown): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`
  try {
    await writeFile(temp, JSON.stringify(value, null, 2) + '\n', { flush: true })
    await rename(temp, path)
  } finally {
    await rm(temp, { force: true })
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}
