// A small reader of systemd unit files for the deploy tests: sections, keys, and command lines
// split into words the way systemd unquotes them (systemd.syntax(7), systemd.service(5)).

export type UnitFile = Map<string, Map<string, string[]>>

/** Sections and their keys; a key given twice keeps both values, in order. */
export function parseUnit(text: string): UnitFile {
  const unit: UnitFile = new Map()
  let section: Map<string, string[]> | undefined
  const lines = text.replace(/\\\n/g, ' ').split('\n')
  for (const raw of lines) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const header = /^\[(.+)\]$/.exec(line)
    if (header) {
      section = unit.get(header[1]!) ?? new Map()
      unit.set(header[1]!, section)
      continue
    }
    const at = line.indexOf('=')
    if (!section || at === -1) throw new Error(`not a unit file line: ${line}`)
    const key = line.slice(0, at).trim()
    section.set(key, [...(section.get(key) ?? []), line.slice(at + 1).trim()])
  }
  return unit
}

/** A key's values joined by spaces (how Environment= lines add up), or undefined. */
export function unitValue(unit: UnitFile, section: string, key: string): string | undefined {
  return unit.get(section)?.get(key)?.join(' ')
}

/** Splits a command line into words: whitespace apart, single and double quotes, \ escapes. */
export function splitCommandLine(text: string): string[] {
  const words: string[] = []
  let word: string | undefined
  let quote: '"' | "'" | undefined
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!
    if (quote) {
      if (char === quote) quote = undefined
      else if (char === '\\' && quote === '"' && index + 1 < text.length) {
        word = (word ?? '') + text[++index]
      } else word = (word ?? '') + char
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word)
      word = undefined
    } else if (char === '"' || char === "'") {
      quote = char
      word ??= ''
    } else if (char === '\\' && index + 1 < text.length) {
      word = (word ?? '') + text[++index]
    } else {
      word = (word ?? '') + char
    }
  }
  if (quote) throw new Error(`unterminated ${quote} in: ${text}`)
  if (word !== undefined) words.push(word)
  return words
}
