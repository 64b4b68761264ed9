// Turns zod's issues into manifest problems: one message per broken rule, in the project's words
// ("required key is missing", "expected a list, got a string"), with the path as `app.ports[0]`.
import type { z } from 'zod'

import { error } from './problems.js'
import type { ManifestProblem, PathSegment } from './problems.js'

type RawIssue = z.core.$ZodRawIssue
type Issue = z.core.$ZodIssue

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
}

/** Names the kind of a raw YAML/JSON value: "a string", "a list", "null". */
export function describeKind(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  if (typeof value === 'boolean') return 'true or false'
  return TYPE_NAMES[typeof value] ?? typeof value
}

/** The per-parse error map: messages for zod's built-in issues (custom checks bring their own). */
export function describeIssue(issue: RawIssue): string | undefined {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'required key is missing'
    if (typeof issue.input === 'number' && !Number.isFinite(issue.input)) {
      return 'the number is too large (it is not finite)'
    }
    const expected = TYPE_NAMES[issue.expected] ?? issue.expected
    // YAML reads 1.0 and 8080 as numbers: say how to keep the text as written.
    const scalar = typeof issue.input === 'number' || typeof issue.input === 'boolean'
    const hint = issue.expected === 'string' && scalar ? ' (quote it in YAML to keep it text)' : ''
    return `expected ${expected}, got ${describeKind(issue.input)}${hint}`
  }
  if (issue.code === 'invalid_value') {
    const allowed = issue.values.map(String).join(', ')
    return `${JSON.stringify(issue.input)} is not one of: ${allowed}`
  }
  if (issue.code === 'invalid_union') {
    const options = (issue as { options?: unknown[] }).options
    const discriminator = (issue as { discriminator?: string }).discriminator
    if (options && discriminator) {
      const input = issue.input as Record<string, unknown> | undefined
      const value = input?.[discriminator]
      const allowed = options.map(String).join(', ')
      if (value === undefined) return `required key is missing (one of: ${allowed})`
      return `${JSON.stringify(value)} is not one of: ${allowed}`
    }
    const expected = issue.errors.flatMap((option) =>
      option.flatMap((inner) => (inner.code === 'invalid_type' ? [inner.expected] : [])),
    )
    const names = [...new Set(expected)].map((name) => TYPE_NAMES[name] ?? name)
    return `expected ${names.join(' or ')}, got ${describeKind(issue.input)}`
  }
  return undefined
}

/** A zod issue as problems; a union's issue becomes the issues of the option the value meant. */
export function convertIssue(issue: Issue, prefix: PathSegment[] = []): ManifestProblem[] {
  const path = [...prefix, ...(issue.path as PathSegment[])]
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const meant = issue.errors.filter(
      (option) =>
        !option.every((inner) => inner.code === 'invalid_type' && inner.path.length === 0),
    )
    if (meant.length === 1) return meant[0]!.flatMap((inner) => convertIssue(inner, path))
  }
  return [error(path, issue.message)]
}
