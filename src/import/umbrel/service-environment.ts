// A service's `environment`, `command` and `entrypoint`. Values Umbrel fills in become literals,
// `{{HOST_MDNS}}` templates (derived_env) or generated secrets (secret_env); a value that needs
// anything else is left out and listed, never passed on half-filled.
import { checkEnvKey } from '../../manifest/formats.js'
import type { AppPlan } from './app-plan.js'
import { isYamlMap } from './read-app.js'
import type { YamlMap } from './read-app.js'
import type { NoteSink } from './report.js'
import { rewriteHosts } from './umbrel-variables.js'
import type { StoreIndex } from './umbrel-variables.js'
import { findWholeSecret, interpolate } from './variables.js'
import type { Resolver } from './variables.js'
import { splitWords } from './words.js'

export interface ServiceEnvironment {
  environment: { key: string; value: string }[]
  derived_env: { key: string; template: string }[]
  secret_env: { key: string; secret_file: string }[]
}

export interface ValueContext {
  service: string
  plan: AppPlan
  index: StoreIndex
  resolve: Resolver
  notes: NoteSink
}

/** Converts `environment` (mapping or list form). */
export function convertEnvironment(service: YamlMap, context: ValueContext): ServiceEnvironment {
  const result: ServiceEnvironment = { environment: [], derived_env: [], secret_env: [] }
  const { notes, resolve } = context
  for (const [key, raw] of readEnvironment(service.environment)) {
    const at = `environment.${key}`
    if (checkEnvKey(key) !== undefined) {
      notes.leaveOut(context.service, at, `"${key}" is not a POSIX environment variable name`)
      continue
    }
    if (raw === undefined) {
      notes.leaveOut(context.service, at, "takes its value from Umbrel's own environment")
      continue
    }
    const secret = findWholeSecret(raw, resolve)
    if (secret !== undefined) {
      result.secret_env.push({ key, secret_file: secret })
      continue
    }
    const value = interpolate(raw, resolve)
    const problem = describeUnusable(value.unresolved, value.secrets)
    if (problem) {
      notes.leaveOut(context.service, at, problem)
      continue
    }
    const text = renameHosts(value.text, at, context)
    if (value.template) result.derived_env.push({ key, template: text })
    else result.environment.push({ key, value: text })
  }
  return result
}

/** Converts `command` or `entrypoint` into words, or undefined (left out, listed). */
export function convertWords(
  service: YamlMap,
  key: 'command' | 'entrypoint',
  context: ValueContext,
): string[] | undefined {
  const raw = service[key]
  if (raw === undefined || raw === null) return undefined
  const words = Array.isArray(raw) ? raw.map(String) : splitWords(String(raw))
  if (words === undefined) {
    context.notes.leaveOut(context.service, key, 'has an unclosed quote')
    return undefined
  }
  const converted: string[] = []
  for (const word of words) {
    const value = interpolate(word, context.resolve)
    const problem =
      describeUnusable(value.unresolved, value.secrets) ??
      (value.template ? `uses ${value.text}, which only environment values can carry` : undefined)
    if (problem) {
      context.notes.leaveOut(context.service, key, `${problem}; the image's own ${key} runs`)
      return undefined
    }
    converted.push(renameHosts(value.text, key, context))
  }
  return converted
}

/** Umbrel's container and service names as app ids, each rename noted (never the value). */
function renameHosts(text: string, key: string, context: ValueContext): string {
  const renames = new Set<string>()
  const renamed = rewriteHosts(text, context.plan, context.index, (from, to) =>
    renames.add(`${from} -> ${to}`),
  )
  if (renames.size > 0) context.notes.convert(context.service, key, [...renames].join(', '))
  return renamed
}

function describeUnusable(unresolved: string[], secrets: string[]): string | undefined {
  if (unresolved.length > 0) {
    const names = [...new Set(unresolved)].map((name) => `$${name}`).join(', ')
    return `uses ${names}, which Umbrel sets at install time and Archipelago has no value for`
  }
  if (secrets.length > 0) {
    return (
      `uses the generated secret ${secrets.join(', ')} inside other text; a secret can only be ` +
      'the whole value of a variable'
    )
  }
  return undefined
}

/** `environment` as [key, value] pairs: `KEY: value`, `- KEY=value`, or a bare `- KEY`. */
function readEnvironment(environment: unknown): [string, string | undefined][] {
  if (isYamlMap(environment)) {
    return Object.entries(environment).map(([key, value]) => [
      key,
      value === null || value === undefined ? undefined : String(value),
    ])
  }
  if (!Array.isArray(environment)) return []
  return environment.map((entry) => {
    const text = String(entry)
    const at = text.indexOf('=')
    return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)]
  })
}
