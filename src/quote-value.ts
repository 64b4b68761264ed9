// A value a user sent, shown in an error message: cut to a readable length, so a 5,000-character
// id is not echoed back whole (into a response, a log line or an X-Reason header).

const MAX_SHOWN = 64

/** The value, or its first `max` characters then `... (5000 characters)` when it is longer. */
export function shortenValue(value: string, max = MAX_SHOWN): string {
  return value.length <= max ? value : `${value.slice(0, max)}... (${value.length} characters)`
}

/** `"value"`, or `"<its first 64 characters>..." (5000 characters)` when it is longer. */
export function quoteValue(value: string, max = MAX_SHOWN): string {
  if (value.length <= max) return `"${value}"`
  return `"${value.slice(0, max)}..." (${value.length} characters)`
}
