// Route patterns as people read them, for metric labels and error messages: Hono's patterns carry
// their parameters' regular expressions (`/:sha256{[0-9a-f]{64}...}`), which no one should see.

/**
 * A route pattern without its parameters' regular expressions: `/:sha256{[0-9a-f]{64}}` reads
 * `/:sha256`.
 */
export function readableRoute(pattern: string): string {
  let route = ''
  let depth = 0
  for (const char of pattern) {
    if (char === '{') depth += 1
    else if (char === '}') depth = Math.max(0, depth - 1)
    else if (depth === 0) route += char
  }
  return route
}
