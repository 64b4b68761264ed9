// The daemon's journal: every lifecycle event of an app is one line, from a pass or from an
// operation the CLI sent, with the versions of an update and the reason of a rollback.
import { describe, expect, it } from 'vitest'

import { logOperation, logOperationFailure, logPass } from '../../node-agent/daemon-log.js'
import type { UpdateOutcome } from '../../node-agent/update.js'

type Line = [level: string, fields: Record<string, unknown>, msg: string]

function captureLog(): { lines: Line[]; log: Parameters<typeof logPass>[0] } {
  const lines: Line[] = []
  const at = (level: string) => (fields: object, msg?: string) => {
    lines.push([level, fields as Record<string, unknown>, msg ?? ''])
  }
  const log = { info: at('info'), warn: at('warn'), error: at('error') }
  return { lines, log: log as unknown as Parameters<typeof logPass>[0] }
}

function outcome(
  result: UpdateOutcome['result'],
  extra: Partial<UpdateOutcome> = {},
): UpdateOutcome {
  return {
    appId: 'notes',
    from: '1.0.0',
    to: '1.1.0',
    result,
    reason: 'healthy',
    warnings: [],
    ...extra,
  }
}

describe('the daemon log', () => {
  it('logs an update, a rollback with its reason, and an update not made with why', () => {
    const { lines, log } = captureLog()
    logOperation(log, { op: 'update' }, [
      outcome('updated', { warnings: ['no reflink: data copied'] }),
      outcome('rolled-back', { appId: 'wiki', reason: '1.1.0 failed: not healthy after 10 s' }),
      outcome('pinned', { appId: 'blog', to: null, reason: 'pinned to 1.0.0' }),
    ])
    expect(lines).toEqual([
      ['info', { appId: 'notes', from: '1.0.0', to: '1.1.0' }, 'updated'],
      ['warn', { appId: 'notes', reason: 'no reflink: data copied' }, 'update warning'],
      [
        'error',
        {
          appId: 'wiki',
          from: '1.0.0',
          to: '1.1.0',
          reason: '1.1.0 failed: not healthy after 10 s',
        },
        'update rolled back',
      ],
      [
        'info',
        { appId: 'blog', from: '1.0.0', to: null, result: 'pinned', reason: 'pinned to 1.0.0' },
        'not updated',
      ],
    ])
  })

  it('logs install, uninstall, start, stop and restart as their own events', () => {
    const { lines, log } = captureLog()
    const installed = {
      appId: 'notes',
      version: '1.0.0',
      steps: [{ appId: 'notes-api', step: 'create', reason: 'no container' }],
    }
    logOperation(log, { op: 'install', app: 'notes', mode: 'auto' }, installed)
    logOperation(log, { op: 'stop', app: 'notes' }, {})
    logOperation(log, { op: 'start', app: 'notes' }, {})
    logOperation(log, { op: 'restart', app: 'notes' }, {})
    logOperation(log, { op: 'uninstall', app: 'notes', purge: false }, {})
    logOperation(log, { op: 'pin', app: 'notes', version: '1.0.0' }, {})
    logOperation(log, { op: 'status' }, {})
    expect(
      lines.map(([level, fields, msg]) => `${level} ${msg} ${JSON.stringify(fields)}`),
    ).toEqual([
      'info reconciled {"appId":"notes-api","step":"create"}',
      'info installed {"appId":"notes","version":"1.0.0"}',
      'info stopped {"appId":"notes"}',
      'info started {"appId":"notes"}',
      'info restarted {"appId":"notes"}',
      'info uninstalled {"appId":"notes","purge":false}',
      'info operation done {"op":"pin","appId":"notes"}',
    ])
  })

  it('logs a pass, a reconcile the CLI asked for, and a failed operation with its reason', () => {
    const { lines, log } = captureLog()
    const pass = {
      steps: [{ appId: 'notes', step: 'start' as const, reason: 'container is exited' }],
      updates: [outcome('rolled-back', { reason: '1.1.0 failed: exited' })],
      warnings: ['catalog of https://r.example not refreshed'],
      errors: ['wiki: cannot list containers'],
    }
    logPass(log, pass)
    logOperation(log, { op: 'reconcile' }, pass)
    logOperationFailure(
      log,
      { op: 'install', app: 'wiki', mode: 'auto' },
      new Error('wiki: no release'),
    )
    const messages = lines.map(([level, , msg]) => `${level} ${msg}`)
    const onePass = [
      'info reconciled',
      'error update rolled back',
      'warn reconcile degraded',
      'error reconcile failed',
    ]
    expect(messages).toEqual([...onePass, ...onePass, 'error operation failed'])
    expect(lines.at(-1)![1]).toEqual({ op: 'install', appId: 'wiki', reason: 'wiki: no release' })
  })
})
