// JSON Canonicalization Scheme (RFC 8785), through the `canonicalize` package.
import canonicalizeJson from 'canonicalize'

import { ValidationError } from '../errors.js'

/** The RFC 8785 canonical UTF-8 text of a JSON value. */
export function canonicalize(value: unknown): string {
  const text = (canonicalizeJson as (input: unknown) => string | undefined)(value)
  if (text === undefined) throw new ValidationError('document', 'cannot be canonicalized as JSON')
  return text
}
