// What Umbrel's install-time variables become on Archipelago. Umbrel fills them from its own
// state and from each app's exports.sh (a script, which the importer never runs); the ones with
// an Archipelago equivalent are listed here, and any other is reported as having no value.
import type { Charset } from '../../manifest/types.js'
import { parseExports } from './exports-file.js'
import { listAddressVariables } from './app-plan.js'
import type { AppPlan } from './app-plan.js'
import type { Resolver } from './variables.js'

/** Umbrel's generated values, as generated_secrets of the app. */
export const SECRET_VARIABLES: Record<string, { name: string; length: number; charset: Charset }> =
  {
    // Umbrel's APP_SEED is 256 bits in hex; APP_PASSWORD a password derived from it.
    APP_SEED: { name: 'umbrel-app-seed', length: 64, charset: 'hex' },
    APP_PASSWORD: { name: 'umbrel-app-password', length: 32, charset: 'alphanumeric' },
  }

/** Variables the agent fills in per node (DESIGN.md §4, placeholders). */
export const PLACEHOLDER_VARIABLES: Record<string, string> = {
  DEVICE_DOMAIN_NAME: '{{HOST_MDNS}}',
  APP_DOMAIN: '{{HOST_MDNS}}',
}

/**
 * Data directories other apps' exports.sh publish, as (app, path inside its data directory).
 * From getumbrel/umbrel-apps: bitcoin, lightning and core-lightning export these; they stand in
 * for those apps' exports.sh when it is not among the files imported. `service` is the one that
 * owns the path when those apps' compose files are imported (chooseDataOwners), unless the main.
 */
export const EXPORTED_DATA_DIRS: Record<string, { app: string; path: string; service?: string }> = {
  APP_BITCOIN_DATA_DIR: { app: 'bitcoin', path: 'data/bitcoin' },
  APP_LIGHTNING_NODE_DATA_DIR: { app: 'lightning', path: 'data/lnd', service: 'lnd' },
  APP_CORE_LIGHTNING_DATA_DIR: {
    app: 'core-lightning',
    path: 'data/lightningd',
    service: 'lightningd',
  },
}

/** The owners of the exported directories of an app not imported: path -> member app id. */
export function listExportedOwners(umbrelId: string, appId: string): Map<string, string> {
  const owners = new Map<string, string>()
  for (const { app, path, service } of Object.values(EXPORTED_DATA_DIRS)) {
    if (app === umbrelId) owners.set(path, service ? `${appId}-${service}` : appId)
  }
  return owners
}

/** Names every service of the apps imported together answers to on Umbrel's network. */
export interface StoreIndex {
  /** `APP_X_IP` (a service's static address) -> the app id that service becomes. */
  addresses: Map<string, string>
  /** `<umbrel id>_<service>_1` (Umbrel's container name) -> the app id. */
  containerNames: Map<string, string>
  /** Literal values the apps' exports.sh publish. */
  exported: Map<string, string>
  /** Data directories exported by name: the table above, then what exports.sh files say. */
  dataDirs: Map<string, { app: string; path: string }>
  /** Umbrel id -> (path of its data its services mount -> the member app id that owns it). */
  dataOwners: Map<string, Map<string, string>>
}

export function indexStore(plans: AppPlan[]): StoreIndex {
  const index: StoreIndex = {
    addresses: new Map(),
    containerNames: new Map(),
    exported: new Map(),
    dataDirs: new Map(Object.entries(EXPORTED_DATA_DIRS)),
    dataOwners: new Map(),
  }
  for (const plan of plans) {
    if (plan.app.exports !== undefined) {
      const { values, dataDirs } = parseExports(plan.app.exports, plan.umbrelId)
      for (const [name, value] of values) index.exported.set(name, value)
      for (const [name, dir] of dataDirs) index.dataDirs.set(name, dir)
    }
    for (const [name, service] of plan.services) {
      const id = plan.memberIds.get(name)
      if (id === undefined) continue
      index.containerNames.set(`${plan.umbrelId}_${name}_1`, id)
      for (const variable of listAddressVariables(service)) index.addresses.set(variable, id)
    }
  }
  return index
}

/**
 * The resolver for one app: a static address becomes the name of the container holding it
 * (containers reach each other by name on archy-net), APP_VERSION the app's version.
 */
export function createResolver(plan: AppPlan, index: StoreIndex): Resolver {
  return (name) => {
    const secret = SECRET_VARIABLES[name]
    if (secret) return { kind: 'secret', name: secret.name }
    const placeholder = PLACEHOLDER_VARIABLES[name]
    if (placeholder) return { kind: 'placeholder', value: placeholder }
    if (name === 'APP_VERSION') return { kind: 'text', value: String(plan.app.meta.version ?? '') }
    const host = index.addresses.get(name)
    if (host !== undefined) return { kind: 'text', value: host }
    const exported = index.exported.get(name)
    return exported === undefined ? undefined : { kind: 'text', value: exported }
  }
}

/**
 * Host names in a value as Archipelago names the containers: Umbrel container names anywhere,
 * and this app's bare service names where they are used as `host:port`, as Compose resolves them.
 */
export function rewriteHosts(
  text: string,
  plan: AppPlan,
  index: StoreIndex,
  onRename: (from: string, to: string) => void = () => {},
): string {
  let result = text.replace(/\b[a-z0-9-]+_[A-Za-z0-9_.-]+?_1\b/g, (name) => {
    const id = index.containerNames.get(name)
    if (id !== undefined) onRename(name, id)
    return id ?? name
  })
  for (const [service, id] of plan.memberIds) {
    if (service === id) continue
    const pattern = new RegExp(`(^|[^A-Za-z0-9_.-])${escapeRegExp(service)}(?=:[0-9])`, 'g')
    result = result.replace(pattern, (_whole, before: string) => {
      onRename(service, id)
      return before + id
    })
  }
  return result
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
