// Writing values into systemd unit files (systemd.syntax(7), systemd.service(5) "Command lines").
// Every Quadlet key we write ends up in the generated ExecStart=, where systemd expands `%`
// specifiers and `$` variables, so both are doubled; quoting is only for keys that are unquoted.
import { ValidationError } from '../src/errors.js'

export interface UnitSection {
  name: string
  lines: string[]
}

/** `%` -> `%%` and `$` -> `$$`: the value reaches the command literally. */
export function escapeSpecifiers(value: string): string {
  return value.replace(/%/g, '%%').replace(/\$/g, '$$$$')
}

/**
 * One word of a command line or of an Exec=, PodmanArgs=, Environment= or Label= value, which
 * Quadlet splits like systemd (quotes removed, C escapes applied): double-quoted with C escapes
 * when it holds anything but plain characters.
 */
export function quoteWord(word: string): string {
  if (word !== '' && word !== ';' && !/[\s"'\\\p{Cc}]/u.test(word)) return escapeSpecifiers(word)
  let quoted = '"'
  for (const char of word) {
    quoted += escapeChar(char)
  }
  return escapeSpecifiers(quoted + '"')
}

const C_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '"': '\\"',
  '\n': '\\n',
  '\t': '\\t',
  '\r': '\\r',
  '\v': '\\v',
  '\f': '\\f',
  '\x07': '\\a',
  '\b': '\\b',
}

function escapeChar(char: string): string {
  const named = C_ESCAPES[char]
  if (named) return named
  const code = char.codePointAt(0) ?? 0
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`
  return char
}

/** Words joined into one value, each quoted as needed. */
export function renderWords(words: readonly string[]): string {
  return words.map(quoteWord).join(' ')
}

/**
 * A value Quadlet reads as it is (Image=, Volume=, PublishPort=, Secret=, HealthCmd=...): only
 * specifiers are escaped, so it must not hold what systemd or Quadlet would read otherwise.
 */
export function renderRawValue(key: string, value: string): string {
  const problem = /\p{Cc}/u.test(value)
    ? 'holds a control character'
    : /^\s|\s$/.test(value)
      ? 'starts or ends with whitespace'
      : /^"|"$/.test(value)
        ? 'starts or ends with a double quote'
        : value.endsWith('\\')
          ? 'ends with a backslash'
          : undefined
  if (problem) throw new ValidationError(key, `${JSON.stringify(value)} ${problem}`)
  return escapeSpecifiers(value)
}

/** Lines of one unit file: a header comment, then each non-empty section. */
export function renderUnitFile(header: string[], sections: UnitSection[]): string {
  const parts = [header.map((line) => `# ${line}`.trimEnd()).join('\n')]
  for (const section of sections) {
    if (section.lines.length > 0) parts.push([`[${section.name}]`, ...section.lines].join('\n'))
  }
  return parts.join('\n\n') + '\n'
}
