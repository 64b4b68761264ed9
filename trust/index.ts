// Publisher reputation (DESIGN.md §4, "Catalog"): the registry asks this module for a publisher's
// trust summary. Until operator-rooted scores exist every publisher is unscored.
import { UNSCORED, type TrustSummary } from '../src/release/catalog.js'

export type { TrustSummary }

/** The trust summary of a publisher DID; `{ score: null, band: 'unscored' }` for now. */
export function scorePublisher(did: string): TrustSummary {
  // TODO(#6): operator-rooted scores from the follow/report graph replace this constant.
  void did
  return { ...UNSCORED }
}
