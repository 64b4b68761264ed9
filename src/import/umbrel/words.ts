// Compose's string form of `command` and `entrypoint` as a list of words: Compose splits it as a
// POSIX shell would (quotes and backslashes), without running a shell or expanding anything.

/** Splits a command string into words; undefined when a quote is left open. */
export function splitWords(text: string): string[] | undefined {
  const words: string[] = []
  let word = ''
  let inWord = false
  let quote: '"' | "'" | undefined
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index]!
    if (quote === "'") {
      if (character === "'") quote = undefined
      else word += character
      continue
    }
    if (quote === '"') {
      if (character === '"') quote = undefined
      else if (character === '\\' && /["\\$`]/.test(text[index + 1] ?? '')) word += text[++index]
      else word += character
      continue
    }
    if (/\s/.test(character)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
      continue
    }
    inWord = true
    if (character === "'" || character === '"') quote = character
    else if (character === '\\' && index + 1 < text.length) word += text[++index]
    else word += character
  }
  if (quote !== undefined) return undefined
  if (inWord) words.push(word)
  return words
}
