// The key walk: refuses the keys DESIGN.md §4 refuses wherever they appear, and reports the keys
// the schema does not know with the nearest known one (a misplaced key silently ignored has
// broken real apps).
import type { z } from 'zod'

import { error, isRecord, warning } from './problems.js'
import type { ManifestProblem, PathSegment } from './problems.js'

/** Keys refused outright at any depth, with the reason. `devices` only when non-empty. */
const REFUSED_KEYS: Record<string, string> = {
  privileged: 'privileged containers are refused: rootless Podman only',
  devices: 'host devices are refused',
  pid: 'sharing a PID namespace is refused',
  ipc: 'sharing an IPC namespace is refused',
  cap_add: 'cap_add is refused: list capabilities under security.capabilities',
  security_opt: 'security_opt is refused: the agent sets security options',
  userns: 'userns is refused: the agent sets the user namespace',
  volumes_from: 'volumes_from is refused: an app mounts only its own data',
}

/** Keys whose value `host` would share the host's network namespace. */
const HOST_NETWORK_KEYS: Record<string, string> = {
  network: 'network "host" is refused: apps never share the host network',
  network_mode: 'network "host" is refused: apps never share the host network',
  network_policy: 'network policy "host" is refused: apps never share the host network',
}

/** Every refused key or `host` network, anywhere in the document. */
export function findRefusedKeys(value: unknown, path: PathSegment[] = []): ManifestProblem[] {
  const problems: ManifestProblem[] = []
  if (Array.isArray(value)) {
    value.forEach((item, index) => problems.push(...findRefusedKeys(item, [...path, index])))
    return problems
  }
  if (!isRecord(value)) return problems
  for (const [key, child] of Object.entries(value)) {
    const refusal = REFUSED_KEYS[key]
    const emptyDevices = key === 'devices' && Array.isArray(child) && child.length === 0
    if (refusal && !emptyDevices) problems.push(error([...path, key], refusal))
    const hostNetwork = HOST_NETWORK_KEYS[key]
    if (hostNetwork && child === 'host') problems.push(error([...path, key], hostNetwork))
    problems.push(...findRefusedKeys(child, [...path, key]))
  }
  return problems
}

/** Every key the schema does not know; a refused key is reported by findRefusedKeys instead. */
export function findUnknownKeys(
  schema: z.ZodType,
  value: unknown,
  severity: 'error' | 'warning',
  path: PathSegment[] = [],
): ManifestProblem[] {
  const problems: ManifestProblem[] = []
  const shape = unwrap(schema)
  const def = shape._zod.def as unknown as Record<string, unknown> & { type: string }

  if (def.type === 'array' && Array.isArray(value)) {
    const element = def.element as z.ZodType
    value.forEach((item, index) => {
      problems.push(...findUnknownKeys(element, item, severity, [...path, index]))
    })
  } else if (def.type === 'record' && isRecord(value)) {
    const valueType = def.valueType as z.ZodType
    for (const [key, child] of Object.entries(value)) {
      problems.push(...findUnknownKeys(valueType, child, severity, [...path, key]))
    }
  } else if (def.type === 'union') {
    const option = pickOption(def.options as z.ZodType[], value)
    if (option) problems.push(...findUnknownKeys(option, value, severity, path))
  } else if (def.type === 'object' && isRecord(value)) {
    const known = def.shape as Record<string, z.ZodType>
    for (const [key, child] of Object.entries(value)) {
      const childSchema = known[key]
      if (childSchema) {
        problems.push(...findUnknownKeys(childSchema, child, severity, [...path, key]))
      } else if (!(key in REFUSED_KEYS)) {
        const message = describeUnknownKey(key, Object.keys(known))
        const report = severity === 'error' ? error : warning
        problems.push(report([...path, key], message))
      }
    }
  }
  return problems
}

/** `unknown key "helth_check"; did you mean "health_check"?` */
export function describeUnknownKey(key: string, known: string[]): string {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const distance = measureDistance(key.toLowerCase(), candidate)
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance]
  }
  if (best === undefined || bestDistance > Math.max(2, Math.floor(best.length / 3))) {
    best = findByPrefix(key.toLowerCase(), known)
  }
  return best ? `unknown key "${key}"; did you mean "${best}"?` : `unknown key "${key}"`
}

/** The known key sharing the longest prefix (4 characters or more): `retry` -> `retries`. */
function findByPrefix(key: string, known: string[]): string | undefined {
  let best: string | undefined
  let bestLength = 3
  for (const candidate of known) {
    let length = 0
    while (length < key.length && key[length] === candidate[length]) length++
    if (length > bestLength) [best, bestLength] = [candidate, length]
  }
  return best
}

/** Peels wrappers (optional, default, prefault, pipe, transform) down to the shape underneath. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema
  for (;;) {
    const def = current._zod.def as unknown as Record<string, unknown> & { type: string }
    if (def.innerType) current = def.innerType as z.ZodType
    else if (def.type === 'pipe') current = def.in as z.ZodType
    else return current
  }
}

/** The union option a value is meant for: by discriminator, else the one with most known keys. */
function pickOption(options: z.ZodType[], value: unknown): z.ZodType | undefined {
  let best: z.ZodType | undefined
  let bestScore = -1
  for (const option of options) {
    const def = unwrap(option)._zod.def as unknown as Record<string, unknown> & { type: string }
    if (def.type !== 'object' || !isRecord(value)) continue
    const shape = def.shape as Record<string, z.ZodType>
    const discriminator = shape.type?._zod.def as { type: string; values?: unknown[] } | undefined
    if (discriminator?.type === 'literal' && !discriminator.values?.includes(value.type)) continue
    const score = Object.keys(value).filter((key) => key in shape).length
    if (score > bestScore) [best, bestScore] = [option, score]
  }
  return best
}

/** Levenshtein distance, for suggesting the nearest known key. */
function measureDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution))
    }
    previous = current
  }
  return previous[b.length] ?? 0
}
