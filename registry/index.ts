// The registry's entry point: the only module the CLI imports (DESIGN.md §3).
export { startRegistryNode, SOFTWARE, SOFTWARE_VERSION } from './node.js'
export type { RegistryNode, RegistryNodeOptions } from './node.js'
export type { RegistryCatalogEntry } from './catalog-signer.js'
export type { Verdict } from './indexer.js'
export { rotateOperatorKey } from './operator-keys.js'
export type { KeyRotationResult } from './operator-keys.js'
