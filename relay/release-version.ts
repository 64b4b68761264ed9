// The one rule about release content a relay applies (DESIGN.md §4, "Registries agree"): at a
// release address, a newer event must carry a higher `version` tag than the stored one, by
// SemVer precedence, so relays keep the release a registry would keep.
import semver from 'semver'
import type { NostrEvent } from 'nostr-tools/pure'
import { firstTagValue } from '../src/nostr/event.js'
import { isReleaseEvent } from '../src/release/release-event.js'

/**
 * The refusal when `candidate` would replace the release event `current` without a higher
 * version, or null. A stored version that is not SemVer never blocks a valid one.
 */
export function checkReleaseVersion(candidate: NostrEvent, current: NostrEvent): string | null {
  if (!isReleaseEvent(candidate)) return null
  const stored = semver.valid(firstTagValue(current, 'version') ?? '')
  if (stored === null) return null

  const version = firstTagValue(candidate, 'version') ?? ''
  if (semver.valid(version) === null) {
    return `invalid: version tag "${version.slice(0, 64)}" is not a SemVer version`
  }
  if (semver.compare(version, stored) > 0) return null
  return `invalid: version ${version} is not higher than ${stored}, stored at this address`
}
