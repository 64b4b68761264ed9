// Which image ID an artifact's verified bytes loaded as: `<artifacts>/<blake3>.image-id`, next to
// the bytes it was read from. The ID is a property of the archive, so every app and reinstall that
// names the digest shares the pin; a tag that names anything else is never run.
import { randomBytes } from 'node:crypto'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'

import { artifactPath } from './artifact-fetch.js'
import { isImageId } from './podman-output.js'

/** The pinned image ID of an artifact, or undefined when none (or an unreadable one) is kept. */
export async function readImagePin(
  artifactsDir: string,
  blake3: string,
): Promise<string | undefined> {
  let text: string
  try {
    text = await readFile(pinPath(artifactsDir, blake3), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const id = text.trim()
  return isImageId(id) && !id.startsWith('sha256:') ? id : undefined
}

/** Records the ID an artifact loaded as (atomically, 0600). */
export async function writeImagePin(
  artifactsDir: string,
  blake3: string,
  id: string,
): Promise<void> {
  const file = pinPath(artifactsDir, blake3)
  const temp = `${file}.${randomBytes(4).toString('hex')}.partial`
  try {
    await writeFile(temp, `${id}\n`, { mode: 0o600 })
    await rename(temp, file)
  } finally {
    await rm(temp, { force: true })
  }
}

function pinPath(artifactsDir: string, blake3: string): string {
  return `${artifactPath(artifactsDir, blake3)}.image-id`
}
