// Conditional GET (RFC 9110 §13.1.2): If-None-Match is `*` or a list of entity tags, compared
// with the weak comparison of §8.8.3.2, so `W/"x"` matches `"x"`; a match answers 304.

// An entity tag (§8.8.3); its opaque-tag may hold commas, so a list is scanned, not split.
const ENTITY_TAG = /(?:W\/)?"([^"]*)"/g

/** True when an If-None-Match header matches `etag`, the current representation's tag. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  // `*` matches any current representation, and the caller has one.
  if (header.trim() === '*') return true
  const [current] = opaqueTags(etag)
  return current !== undefined && opaqueTags(header).includes(current)
}

/** The opaque-tags of the entity tags in a field value, weakness indicators dropped. */
function opaqueTags(value: string): string[] {
  return [...value.matchAll(ENTITY_TAG)].map((match) => match[1]!)
}
