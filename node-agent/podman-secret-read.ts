// Reading a Podman secret's value back, so a lost 0600 file is recreated from it (DESIGN.md §2).
// Podman 4.3 has no `secret inspect --showsecret` (4.5 added it); its file driver keeps every
// value base64-encoded in `<driver path>/secretsdata.json`, keyed by the secret's ID.
import { readFile } from 'node:fs/promises'
import path from 'node:path'

import { ArchyError } from '../src/errors.js'

interface SecretInspect {
  ID?: unknown
  Spec?: { Driver?: { Name?: unknown; Options?: { path?: unknown } } }
}

/** The value of the secret `podman secret inspect` described; never put in an error. */
export async function readFileDriverSecret(name: string, inspectOutput: string): Promise<string> {
  const described = parseInspect(name, inspectOutput)
  const driver = described.Spec?.Driver
  const dir = driver?.Options?.path
  if (driver?.Name !== 'file' || typeof dir !== 'string' || typeof described.ID !== 'string') {
    throw new ArchyError(
      'secret-unreadable',
      `Podman secret ${name} is not kept by the file driver, so its value cannot be read back`,
    )
  }
  const store = path.join(dir, 'secretsdata.json')
  let data: Record<string, unknown>
  try {
    data = JSON.parse(await readFile(store, 'utf8')) as Record<string, unknown>
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'not JSON'
    throw new ArchyError('secret-unreadable', `cannot read ${store} (${reason})`, { cause: error })
  }
  const encoded = data[described.ID]
  if (typeof encoded !== 'string' || encoded.length === 0) {
    throw new ArchyError('secret-unreadable', `${store} holds no value for secret ${name}`)
  }
  return Buffer.from(encoded, 'base64').toString('utf8')
}

function parseInspect(name: string, output: string): SecretInspect {
  try {
    const parsed = JSON.parse(output) as unknown
    const first = Array.isArray(parsed) ? (parsed[0] as unknown) : parsed
    if (first && typeof first === 'object') return first as SecretInspect
  } catch {
    // Reported below.
  }
  throw new ArchyError('podman-output', `podman secret inspect ${name}: not the JSON expected`)
}
