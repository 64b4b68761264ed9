// The signed catalog's compressed forms: compressed once per signed catalog with node:zlib (Brotli
// and gzip, off the main thread) rather than per request, and picked by Accept-Encoding
// (RFC 9110 §12.5.3). Each form has its own strong ETag, derived from the catalog's digest.
import { promisify } from 'node:util'
import { brotliCompress, constants, gzip } from 'node:zlib'

import type { SignedCatalog } from './catalog-signer.js'

export type CatalogEncoding = 'br' | 'gzip' | 'identity'

/** Every form, best first. */
export const CATALOG_ENCODINGS: CatalogEncoding[] = ['br', 'gzip', 'identity']

const compressBrotli = promisify(brotliCompress)
const compressGzip = promisify(gzip)

/** Keeps the forms of the newest catalog, made on its first request. */
export function createCatalogEncoder(): {
  bodyOf(signed: SignedCatalog, encoding: CatalogEncoding): Promise<Buffer>
} {
  let cached: { blake3: string; forms: Promise<Record<CatalogEncoding, Buffer>> } | undefined

  function formsOf(signed: SignedCatalog): Promise<Record<CatalogEncoding, Buffer>> {
    if (cached?.blake3 !== signed.blake3) {
      const identity = Buffer.from(signed.json)
      const forms = Promise.all([
        compressBrotli(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } }),
        compressGzip(identity, { level: 9 }),
      ]).then(([br, gz]) => ({ br, gzip: gz, identity }))
      cached = { blake3: signed.blake3, forms }
    }
    return cached.forms
  }

  return { bodyOf: async (signed, encoding) => (await formsOf(signed))[encoding] }
}

/** A form's strong ETag (RFC 9110 §8.8.3: each representation has its own). */
export function catalogEtag(blake3: string, encoding: CatalogEncoding): string {
  return encoding === 'identity' ? `"${blake3}"` : `"${blake3}-${encoding}"`
}

/**
 * The best form the client accepts: Brotli, then gzip, then none. `*` stands for any form not
 * named; `q=0` refuses one. Identity is the answer when nothing else is acceptable.
 */
export function chooseEncoding(header: string | undefined): CatalogEncoding {
  if (header === undefined) return 'identity'
  const weights = new Map<string, number>()
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';')
    if (name === '') continue
    const q = params.map((param) => /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(param)?.[1]).find(Boolean)
    weights.set(name.trim(), q === undefined ? 1 : Number(q))
  }
  const weightOf = (form: string): number => weights.get(form) ?? weights.get('*') ?? 0
  const best = (['br', 'gzip'] as const)
    .filter((form) => weightOf(form) > 0)
    .sort((a, b) => weightOf(b) - weightOf(a))[0]
  return best ?? 'identity'
}
