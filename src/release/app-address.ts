// App addresses (DESIGN.md §4, "Catalog"): a bare id (`photo-vault`) names the app of the
// publisher who owns that id on a registry; `photo-vault@did:key:z6Mk...` names one publisher's.
import { ValidationError } from '../errors.js'
import { isEd25519DidKey } from '../identity/did-key.js'
import { checkAppId } from '../manifest/formats.js'
import { quoteValue } from '../quote-value.js'

export interface AppAddress {
  id: string
  /** The publisher's DID when the address names one. */
  did?: string
}

/** Parses `id` or `id@<publisher did>`, naming what is wrong. */
export function parseAppAddress(text: string, field = 'app'): AppAddress {
  const at = text.indexOf('@')
  const id = at === -1 ? text : text.slice(0, at)
  const problem = checkAppId(id)
  if (problem !== undefined) throw new ValidationError(field, problem)
  if (at === -1) return { id }
  const did = text.slice(at + 1)
  if (!isEd25519DidKey(did)) {
    throw new ValidationError(field, `${quoteValue(did)} after "@" is not a publisher's did:key`)
  }
  return { id, did }
}

/** The address of one publisher's app: `id@did`. */
export function formatAppAddress(id: string, did: string): string {
  return `${id}@${did}`
}
