// What the daemon (`archy agent run`) logs of the work it does: one line per lifecycle event of
// an app (installed, updated, rolled back, stopped, ...), whether a pass or an operation from the
// CLI caused it, so an operator reading the journal sees every change and every failure.
import type { Logger } from '../src/log.js'
import type { AgentOperation } from './agent-operations.js'
import type { InstallResult } from './install.js'
import type { PassResult } from './reconcile-pass.js'
import type { UpdateOutcome } from './update.js'

type LogSink = Pick<Logger, 'info' | 'warn' | 'error'>

/** The lines of one reconcile pass: its steps, its updates, what degraded and what failed. */
export function logPass(log: LogSink, result: PassResult): void {
  for (const step of result.steps) log.info({ appId: step.appId, step: step.step }, 'reconciled')
  logUpdates(log, result.updates)
  for (const warning of result.warnings) log.warn({ reason: warning }, 'reconcile degraded')
  for (const error of result.errors) log.error({ reason: error }, 'reconcile failed')
}

/** The lines of an operation the CLI asked for, once it has ended with `result`. */
export function logOperation(log: LogSink, operation: AgentOperation, result: unknown): void {
  switch (operation.op) {
    case 'install': {
      const { appId, version, steps } = result as InstallResult
      for (const step of steps) log.info({ appId: step.appId, step: step.step }, 'reconciled')
      log.info({ appId, version }, 'installed')
      return
    }
    case 'update':
      return logUpdates(log, result as UpdateOutcome[])
    case 'reconcile':
      return logPass(log, result as PassResult)
    case 'uninstall':
      return log.info({ appId: operation.app, purge: operation.purge }, 'uninstalled')
    case 'start':
    case 'stop':
    case 'restart':
      return log.info({ appId: operation.app }, PAST[operation.op])
    case 'status':
      return
    default:
      return log.info({ op: operation.op, ...appOf(operation) }, 'operation done')
  }
}

/** An operation that failed: what was asked and why it failed. */
export function logOperationFailure(log: LogSink, operation: AgentOperation, error: Error): void {
  log.error({ op: operation.op, ...appOf(operation), reason: error.message }, 'operation failed')
}

function logUpdates(log: LogSink, outcomes: UpdateOutcome[]): void {
  for (const outcome of outcomes) {
    const fields = { appId: outcome.appId, from: outcome.from, to: outcome.to }
    if (outcome.result === 'updated') log.info(fields, 'updated')
    else if (outcome.result === 'rolled-back') {
      log.error({ ...fields, reason: outcome.reason }, 'update rolled back')
    } else log.info({ ...fields, result: outcome.result, reason: outcome.reason }, 'not updated')
    for (const warning of outcome.warnings)
      log.warn({ appId: outcome.appId, reason: warning }, 'update warning')
  }
}

const PAST = { start: 'started', stop: 'stopped', restart: 'restarted' } as const

function appOf(operation: AgentOperation): { appId?: string } {
  return 'app' in operation && operation.app !== undefined ? { appId: operation.app } : {}
}
