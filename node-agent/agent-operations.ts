// What an agent command asks for, as data: the CLI runs an operation itself under the state lock,
// or sends it to the daemon's local API (agent-api.ts), which runs it here the same way. Results
// are plain JSON, so both paths print the same.
import path from 'node:path'

import { ValidationError } from '../src/errors.js'
import type { Agent } from './agent-context.js'
import { appDataDir } from './agent-paths.js'
import { addRegistry } from './catalog-follower.js'
import { installApp } from './install.js'
import { requireInstall } from './installed-app.js'
import { restartApp, setAppState, uninstallApp } from './lifecycle.js'
import { runReconcilePass } from './reconcile-pass.js'
import { parseModeOption, type ModeOption } from './runtime-mode.js'
import { collectStatus } from './status.js'
import { updateApps } from './update.js'
import { pinApp, setAutoUpdate, unpinApp } from './update-policy.js'

export type AgentOperation =
  | { op: 'add-registry'; url: string; did?: string }
  | {
      op: 'install'
      app: string
      mode: ModeOption
      withDependencies?: boolean
      pin?: boolean
      autoUpdate?: boolean
    }
  | { op: 'status' }
  | { op: 'start' | 'stop' | 'restart'; app: string }
  | { op: 'reconcile'; app?: string }
  | { op: 'uninstall'; app: string; purge: boolean }
  | { op: 'update'; app?: string }
  | { op: 'pin'; app: string; version?: string }
  | { op: 'unpin'; app: string }
  | { op: 'auto-update'; app: string; on: boolean }

const OPS = new Set([
  'add-registry',
  'install',
  'status',
  'start',
  'stop',
  'restart',
  'reconcile',
  'uninstall',
  'update',
  'pin',
  'unpin',
  'auto-update',
])

/** Runs one operation on an open agent and returns its JSON result. */
export async function performOperation(agent: Agent, operation: AgentOperation): Promise<unknown> {
  switch (operation.op) {
    case 'add-registry':
      return addRegistry(agent.store, operation.url, operation.did)
    case 'install':
      return installApp(agent, operation.app, {
        mode: operation.mode,
        withDependencies: operation.withDependencies ?? false,
        pin: operation.pin ?? false,
        autoUpdate: operation.autoUpdate ?? false,
      })
    case 'status':
      return collectStatus(agent)
    case 'start':
    case 'stop':
      await setAppState(agent, operation.app, operation.op === 'start' ? 'running' : 'stopped')
      return { appId: operation.app, state: `${operation.op === 'start' ? 'started' : 'stopped'}` }
    case 'restart':
      await restartApp(agent, operation.app)
      return { appId: operation.app, state: 'restarted' }
    case 'reconcile':
      if (operation.app !== undefined) requireInstall(agent, operation.app)
      return runReconcilePass(agent, {
        ...(operation.app !== undefined && { appId: operation.app }),
      })
    case 'uninstall':
      return {
        appId: operation.app,
        purge: operation.purge,
        ...(await uninstallApp(agent, operation.app, { purge: operation.purge })),
        dataDir: appDataDir(agent.paths, operation.app),
      }
    case 'update':
      return updateApps(agent, operation.app, { explicit: true })
    case 'pin':
      return pinApp(agent, operation.app, operation.version)
    case 'unpin':
      return unpinApp(agent, operation.app)
    case 'auto-update':
      return { appId: operation.app, ...setAutoUpdate(agent, operation.app, operation.on) }
  }
}

/** The CLI's --data-root and --host-ip, sent along so the daemon can refuse a mismatch. */
export interface OperationPlace {
  dataRoot?: string
  hostIp?: string
}

/** Refuses an operation whose CLI named another data root or host IP than the daemon's. */
export function checkPlace(agent: Agent, place: OperationPlace): void {
  if (place.dataRoot !== undefined && path.resolve(place.dataRoot) !== agent.paths.dataRoot) {
    throw new ValidationError(
      '--data-root',
      `the running agent (archy agent run) uses ${agent.paths.dataRoot}; restart it to change it`,
    )
  }
  if (place.hostIp !== undefined && place.hostIp !== agent.context.values.HOST_IP) {
    throw new ValidationError(
      '--host-ip',
      `the running agent (archy agent run) uses ${agent.context.values.HOST_IP ?? 'none'}`,
    )
  }
}

/** Checks an operation that arrived over the local API: the shape, never trusted blindly. */
export function parseOperation(value: unknown): AgentOperation {
  const body = value as Record<string, unknown> | null
  if (!body || typeof body !== 'object' || typeof body.op !== 'string' || !OPS.has(body.op)) {
    throw new ValidationError('op', `must be one of ${[...OPS].join(', ')}`)
  }
  for (const key of ['app', 'url', 'did', 'version', 'dataRoot', 'hostIp'] as const) {
    if (body[key] !== undefined && typeof body[key] !== 'string') {
      throw new ValidationError(key, 'must be a string')
    }
  }
  for (const key of ['purge', 'on', 'withDependencies', 'pin', 'autoUpdate'] as const) {
    if (body[key] !== undefined && typeof body[key] !== 'boolean') {
      throw new ValidationError(key, 'must be true or false')
    }
  }
  const needsApp = [
    'install',
    'start',
    'stop',
    'restart',
    'uninstall',
    'pin',
    'unpin',
    'auto-update',
  ]
  if (needsApp.includes(body.op) && typeof body.app !== 'string') {
    throw new ValidationError('app', `${body.op} needs an app`)
  }
  if (body.op === 'add-registry' && typeof body.url !== 'string') {
    throw new ValidationError('url', 'add-registry needs a url')
  }
  if (body.op === 'install') {
    if (body.mode !== undefined && typeof body.mode !== 'string') {
      throw new ValidationError('mode', 'must be a string')
    }
    parseModeOption(body.mode as string | undefined)
  }
  if (body.op === 'uninstall' && typeof body.purge !== 'boolean') {
    throw new ValidationError('purge', 'uninstall needs purge: true or false')
  }
  if (body.op === 'auto-update' && typeof body.on !== 'boolean') {
    throw new ValidationError('on', 'auto-update needs on: true or false')
  }
  return body as unknown as AgentOperation
}
