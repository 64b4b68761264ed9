// The manifest validator (DESIGN.md §4): every problem of one manifest or of a set at once, and
// the normalized AppManifest when there is no error. Registry, agent and CLI all call this.
import { ValidationError } from '../errors.js'
import { checkContextRules } from './context-rules.js'
import { convertIssue, describeIssue } from './issues.js'
import { findRefusedKeys, findUnknownKeys } from './keys.js'
import { formatPath, isRecord } from './problems.js'
import type { ManifestProblem, PathSegment } from './problems.js'
import { manifestSchema } from './schema.js'
import { checkSetRules } from './set-rules.js'
import type { AppManifest } from './types.js'

export type { ManifestProblem } from './problems.js'

export interface ManifestCheck {
  /** Set only when there is no error. */
  manifest?: AppManifest
  problems: ManifestProblem[]
}

export interface ValidateOptions {
  /** Unknown keys become errors instead of warnings. */
  strict?: boolean
}

/** Validates one manifest document (root key `app`) on its own. */
export function validateManifest(document: unknown, options: ValidateOptions = {}): ManifestCheck {
  const [check] = validateManifestSet([document], options).checks
  return check ?? { problems: [] }
}

/** Validates manifests together, resolving dependencies, secrets and aliases across the set. */
export function validateManifestSet(
  documents: unknown[],
  options: ValidateOptions = {},
): { checks: ManifestCheck[] } {
  const apps = documents.map((document) =>
    isRecord(document) && isRecord(document.app) ? document.app : undefined,
  )
  const setProblems = checkSetRules(apps)
  const checks = documents.map((document, index) =>
    checkDocument(document, options.strict ?? false, setProblems[index] ?? []),
  )
  return { checks }
}

/** The normalized manifests of a valid set; otherwise a ValidationError naming every error. */
export function requireValidManifests(documents: unknown[]): AppManifest[] {
  const { checks } = validateManifestSet(documents)
  const errors = checks.flatMap((check, index) =>
    check.problems
      .filter((problem) => problem.severity === 'error')
      .map((problem) => ({
        path: documents.length > 1 ? `manifests[${index}].${problem.path}` : problem.path,
        message: problem.message,
      })),
  )
  const [first, ...rest] = errors
  if (first) {
    const more = rest.map((problem) => `; ${problem.path}: ${problem.message}`).join('')
    throw new ValidationError(first.path, first.message + more)
  }
  return checks.map((check) => check.manifest!)
}

function checkDocument(
  document: unknown,
  strict: boolean,
  setProblems: ManifestProblem[],
): ManifestCheck {
  const problems: ManifestProblem[] = []
  const parsed = manifestSchema.safeParse(document, { error: describeIssue })
  if (!parsed.success) problems.push(...parsed.error.issues.flatMap((issue) => convertIssue(issue)))
  if (isRecord(document)) {
    problems.push(...findRefusedKeys(document))
    problems.push(...findUnknownKeys(manifestSchema, document, strict ? 'error' : 'warning'))
    if (isRecord(document.app)) problems.push(...checkContextRules(document.app))
  }
  problems.push(...setProblems)

  const sorted = sortByPosition(removeDuplicates(problems), document)
  const failed = sorted.some((problem) => problem.severity === 'error')
  if (failed || !parsed.success) return { problems: sorted }
  return { manifest: parsed.data.app, problems: sorted }
}

function removeDuplicates(problems: ManifestProblem[]): ManifestProblem[] {
  const seen = new Set<string>()
  return problems.filter((problem) => {
    const key = `${problem.severity}\u0000${problem.path}\u0000${problem.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** Orders problems as their keys appear in the document, so the report reads top to bottom. */
function sortByPosition(problems: ManifestProblem[], document: unknown): ManifestProblem[] {
  const positions = new Map<string, number>()
  const visit = (value: unknown, path: PathSegment[]): void => {
    positions.set(formatPath(path), positions.size)
    if (Array.isArray(value)) value.forEach((item, index) => visit(item, [...path, index]))
    else if (isRecord(value))
      for (const [key, child] of Object.entries(value)) visit(child, [...path, key])
  }
  visit(document, [])
  const positionOf = (path: string): number => {
    for (let current = path; ;) {
      const position = positions.get(current)
      if (position !== undefined) return position
      const parent = current.replace(/(\.[^.[]+|\[[^\]]+\])$/, '')
      if (parent === current) return 0
      current = parent
    }
  }
  return problems
    .map((problem, order) => ({ problem, order, position: positionOf(problem.path) }))
    .sort((a, b) => a.position - b.position || a.order - b.order)
    .map(({ problem }) => problem)
}
