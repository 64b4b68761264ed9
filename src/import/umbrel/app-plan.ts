// The shape of one Umbrel app on Archipelago before any key is converted: its id, its services,
// which one is the main service (the one Umbrel's app_proxy points at) and the app id each
// service becomes. The main service takes the app's id; every other one `<app id>-<service>`.
import { isYamlMap } from './read-app.js'
import type { UmbrelApp, YamlMap } from './read-app.js'

export const APP_PROXY = 'app_proxy'

export interface AppPlan {
  app: UmbrelApp
  umbrelId: string
  appId: string
  /** Compose services by name, app_proxy excepted, in file order. */
  services: Map<string, YamlMap>
  main?: string
  /** Service name -> Archipelago app id. */
  memberIds: Map<string, string>
  /** app_proxy's environment, when the app has one. */
  proxy?: YamlMap
  /** Why no main service could be chosen. */
  problem?: { source: string; key: string; message: string }
}

/** Plans an app; `umbrelId` must already be a valid id (the caller checked it). */
export function planApp(app: UmbrelApp, umbrelId: string, idPrefix: string): AppPlan {
  const appId = idPrefix + umbrelId
  const services = new Map<string, YamlMap>()
  const raw = isYamlMap(app.compose.services) ? app.compose.services : {}
  let proxy: YamlMap | undefined
  for (const [name, service] of Object.entries(raw)) {
    const definition = isYamlMap(service) ? service : {}
    if (name === APP_PROXY) proxy = isYamlMap(definition.environment) ? definition.environment : {}
    else services.set(name, definition)
  }
  const plan: AppPlan = { app, umbrelId, appId, services, memberIds: new Map(), proxy }
  if (services.size === 0) {
    plan.problem = { source: 'docker-compose.yml', key: 'services', message: 'has no service' }
    return plan
  }

  const main = findMainService(plan)
  if (typeof main !== 'string') {
    plan.problem = main
    return plan
  }
  plan.main = main
  for (const name of services.keys()) {
    plan.memberIds.set(name, name === main ? appId : `${appId}-${toLabel(name)}`)
  }
  return plan
}

/** The service app_proxy's APP_HOST names: `<app>_<service>_1`, or a service's static address. */
function findMainService(plan: AppPlan): string | AppPlan['problem'] {
  const names = [...plan.services.keys()]
  if (!plan.proxy) {
    if (names.length === 1) return names[0]!
    const message =
      'there is no app_proxy service and several services, so the main service is unclear'
    return { source: 'docker-compose.yml', key: 'services', message }
  }
  const host = String(plan.proxy.APP_HOST ?? '')
  const byName = new RegExp(`^${escapeRegExp(plan.umbrelId)}_(.+)_1$`).exec(host)?.[1]
  if (byName !== undefined && plan.services.has(byName)) return byName
  const variable = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(host)?.[1]
  if (variable !== undefined) {
    const owner = names.find((name) =>
      listAddressVariables(plan.services.get(name)!).includes(variable),
    )
    if (owner !== undefined) return owner
  }
  const message = host
    ? `"${host}" names no service of this app (expected <app id>_<service>_1 or a service's ` +
      'ipv4_address variable)'
    : 'is missing, so the main service is unclear'
  return { source: APP_PROXY, key: 'APP_HOST', message }
}

/** The variables a service's `networks.*.ipv4_address` are set from (`$APP_X_IP`). */
export function listAddressVariables(service: YamlMap): string[] {
  const networks = isYamlMap(service.networks) ? Object.values(service.networks) : []
  return networks.flatMap((network) => {
    const address = isYamlMap(network) ? String(network.ipv4_address ?? '') : ''
    const name = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(address)?.[1]
    return name === undefined ? [] : [name]
  })
}

/** A compose service name as a DNS label: lowercase, `_` and `.` as `-`. */
export function toLabel(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
