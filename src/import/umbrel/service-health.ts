// A service's `healthcheck` as the manifest's exec health check (Compose `CMD`, `CMD-SHELL` or a
// string); `NONE` and `disable` give none. Durations use the same units in both formats.
import { checkDuration } from '../../manifest/formats.js'
import { isYamlMap } from './read-app.js'
import type { YamlMap } from './read-app.js'
import type { ValueContext } from './service-environment.js'

export interface ManifestHealthCheck {
  type: 'exec'
  command: string[]
  interval?: string
  timeout?: string
  start_period?: string
  retries?: number
}

export function convertHealthCheck(
  service: YamlMap,
  context: ValueContext,
): ManifestHealthCheck | undefined {
  const check = service.healthcheck
  if (!isYamlMap(check) || check.disable === true) return undefined
  const test = check.test
  let command: string[] | undefined
  if (typeof test === 'string') command = ['sh', '-c', test]
  else if (Array.isArray(test) && test[0] === 'CMD') command = test.slice(1).map(String)
  else if (Array.isArray(test) && test[0] === 'CMD-SHELL') command = ['sh', '-c', String(test[1])]
  if (!command || command.length === 0 || command.some((word) => word.includes('$'))) {
    if (!(Array.isArray(test) && test[0] === 'NONE')) {
      const message = 'is not a CMD, CMD-SHELL or string test without variables'
      context.notes.leaveOut(context.service, 'healthcheck.test', message)
    }
    return undefined
  }

  const health: ManifestHealthCheck = { type: 'exec', command }
  for (const key of ['interval', 'timeout', 'start_period'] as const) {
    const value = check[key]
    if (value === undefined) continue
    if (checkDuration(String(value)) === undefined) health[key] = String(value)
    else {
      const message = `"${String(value)}" is not a duration a manifest takes; the default applies`
      context.notes.leaveOut(context.service, `healthcheck.${key}`, message)
    }
  }
  if (typeof check.retries === 'number') health.retries = check.retries
  return health
}
