// The problem record every manifest rule produces, and the path notation problems use
// (`app.ports[0].host`), shared by the schema pass, the context rules and the set rules.

export interface ManifestProblem {
  severity: 'error' | 'warning'
  path: string
  message: string
}

export type PathSegment = string | number

/** Renders a path as `app.ports[0].host`; keys that are not plain names are quoted. */
export function formatPath(segments: readonly PathSegment[]): string {
  let path = ''
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) path += path ? `.${segment}` : segment
    else path += `[${JSON.stringify(segment)}]`
  }
  return path
}

export function error(segments: readonly PathSegment[], message: string): ManifestProblem {
  return { severity: 'error', path: formatPath(segments), message }
}

export function warning(segments: readonly PathSegment[], message: string): ManifestProblem {
  return { severity: 'warning', path: formatPath(segments), message }
}

/** A plain object (a YAML mapping), as opposed to a list, a scalar or null. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
