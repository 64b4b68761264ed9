// Reads a manifest file or text: YAML 1.2 (JSON is YAML too). A syntax error becomes a
// ValidationError naming the source, line and column; the shape is validate.ts's concern.
import { readFile, stat } from 'node:fs/promises'

import { YAMLParseError, parseDocument } from 'yaml'

import { ValidationError, describeError } from '../errors.js'

/** Real manifests are a few KiB; a larger file is refused before it is parsed. */
export const MAX_MANIFEST_BYTES = 256 * 1024

/** Parses manifest text; `source` names it in errors (a file path, or a label like `<stdin>`). */
export function parseManifestText(text: string, source: string): unknown {
  const bytes = Buffer.byteLength(text)
  if (bytes > MAX_MANIFEST_BYTES) throw tooLarge(source, bytes)
  // uniqueKeys: a key given twice is an error, not a silent override of the first one.
  const document = parseDocument(text, { uniqueKeys: true })
  const [first] = document.errors
  if (first) throw syntaxError(first, source)
  return document.toJS({ maxAliasCount: 100 }) as unknown
}

/** Reads and parses a manifest file. */
export async function loadManifestFile(path: string): Promise<unknown> {
  let text: string
  try {
    const { size } = await stat(path)
    if (size > MAX_MANIFEST_BYTES) throw tooLarge(path, size)
    text = await readFile(path, 'utf8')
  } catch (error) {
    if (error instanceof ValidationError) throw error
    const reason = (error as NodeJS.ErrnoException).code ?? describeError(error)
    throw new ValidationError(path, `cannot read the manifest (${reason})`, { cause: error })
  }
  return parseManifestText(text, path)
}

function syntaxError(error: YAMLParseError, source: string): ValidationError {
  const position = error.linePos?.[0]
  const where = position ? ` at line ${position.line}, column ${position.col}` : ''
  const reason = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')
  return new ValidationError(source, `YAML syntax error${where}: ${reason}`, { cause: error })
}

function tooLarge(source: string, bytes: number): ValidationError {
  const limit = MAX_MANIFEST_BYTES / 1024
  return new ValidationError(source, `is ${bytes} bytes; a manifest is at most ${limit} KiB`)
}
