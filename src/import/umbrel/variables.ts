// Compose variable interpolation (`$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME-default}`,
// `${NAME:+alt}`, `$$`), as the Compose specification defines it, over a resolver that knows what
// each Umbrel variable becomes on an Archipelago node: text, a placeholder, or a secret.

export type Resolution =
  | { kind: 'text'; value: string }
  /** A `{{PLACEHOLDER}}` the agent fills in on each node (a derived_env template). */
  | { kind: 'placeholder'; value: string }
  /** A generated secret of the app, by its name in generated_secrets. */
  | { kind: 'secret'; name: string }

export type Resolver = (name: string) => Resolution | undefined

export interface Interpolated {
  /** The value with every resolved variable replaced. */
  text: string
  /** It holds a placeholder, so it is a derived_env template. */
  template: boolean
  /** Secrets the value uses; only a value that is exactly one secret can carry it. */
  secrets: string[]
  /** Variables with neither a value nor a default: Umbrel sets them at install time. */
  unresolved: string[]
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/

/** Interpolates one string. */
export function interpolate(value: string, resolve: Resolver): Interpolated {
  const result: Interpolated = { text: '', template: false, secrets: [], unresolved: [] }
  let at = 0
  while (at < value.length) {
    const dollar = value.indexOf('$', at)
    if (dollar < 0) {
      result.text += value.slice(at)
      break
    }
    result.text += value.slice(at, dollar)
    const next = value[dollar + 1]

    // `$$` is a literal dollar sign.
    if (next === '$') {
      result.text += '$'
      at = dollar + 2
      continue
    }
    if (next === '{') {
      const end = findClosingBrace(value, dollar + 2)
      if (end < 0) {
        result.text += value.slice(dollar)
        break
      }
      expandBraced(value.slice(dollar + 2, end), resolve, result)
      at = end + 1
      continue
    }
    const name = NAME.exec(value.slice(dollar + 1))?.[0]
    if (name === undefined) {
      result.text += '$'
      at = dollar + 1
      continue
    }
    substitute(name, resolve, result)
    at = dollar + 1 + name.length
  }
  return result
}

/** The secret a value carries when it is nothing but one variable that is a secret. */
export function findWholeSecret(value: string, resolve: Resolver): string | undefined {
  const match = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/.exec(value.trim())
  const name = match?.[1] ?? match?.[2]
  if (name === undefined) return undefined
  const resolution = resolve(name)
  return resolution?.kind === 'secret' ? resolution.name : undefined
}

/** The variable names a string refers to, for messages. */
export function listVariables(value: string): string[] {
  return [...value.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1] ?? '')
}

function findClosingBrace(value: string, from: number): number {
  let depth = 1
  for (let index = from; index < value.length; index += 1) {
    if (value[index] === '{') depth += 1
    else if (value[index] === '}' && --depth === 0) return index
  }
  return -1
}

function expandBraced(inner: string, resolve: Resolver, result: Interpolated): void {
  const name = NAME.exec(inner)?.[0] ?? ''
  const rest = inner.slice(name.length)
  const operator = /^(:-|-|:\+|\+|:\?|\?)?/.exec(rest)?.[0] ?? ''
  const operand = rest.slice(operator.length)
  if (name === '' || (operator === '' && rest !== '')) {
    result.unresolved.push(inner)
    return
  }
  const resolution = resolve(name)

  // Defaults apply when the variable has no value here, which is what unset means on a node.
  if (operator === ':-' || operator === '-') {
    if (resolution) substitute(name, resolve, result)
    else merge(result, interpolate(operand, resolve))
    return
  }
  if (operator === ':+' || operator === '+') {
    if (resolution) merge(result, interpolate(operand, resolve))
    return
  }
  substitute(name, resolve, result)
}

function substitute(name: string, resolve: Resolver, result: Interpolated): void {
  const resolution = resolve(name)
  if (!resolution) {
    result.unresolved.push(name)
    result.text += `\${${name}}`
  } else if (resolution.kind === 'secret') {
    result.secrets.push(resolution.name)
    result.text += `\${${name}}`
  } else {
    result.text += resolution.value
    if (resolution.kind === 'placeholder') result.template = true
  }
}

function merge(into: Interpolated, part: Interpolated): void {
  into.text += part.text
  into.template ||= part.template
  into.secrets.push(...part.secrets)
  into.unresolved.push(...part.unresolved)
}
