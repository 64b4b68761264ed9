// The relay's entry point: the only module other components import (DESIGN.md §3).
// A registry node creates one relay, routes upgrades of `/` and NIP-11 requests to it.
export { createRelay } from './relay.js'
export { createInfoResponse, INFO_RESPONSE_HEADERS, writeInfoResponse } from './nip11.js'
export { DEFAULT_LIMITS } from './limits.js'
export { FOLLOW_FILTERS, followUpstreams } from './upstream.js'
export type { FollowOptions, UpstreamFollower, UpstreamStatus } from './upstream.js'
export {
  acceptOnlyAppDataNamespaces,
  acceptOnlyKinds,
  REGISTRY_APP_DATA_NAMESPACES,
  REGISTRY_KINDS,
} from './policies.js'
export type { EventPolicy } from './policies.js'
export type { RelayLimits } from './limits.js'
export type { NegentropyLimits } from './nip77.js'
export type { Filter, NostrEvent, PublishResult, Relay, RelayInfo, RelayOptions } from './types.js'
