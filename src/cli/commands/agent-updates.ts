// `archy agent update`, `pin`, `unpin` and `auto-update`: moving installs to newer releases under
// the health gate, and the operator's choices of what may move (node-agent/update-policy.ts).
import type { UpdateOutcome } from '../../../node-agent/update.js'
import type { UpdatePolicy } from '../../../node-agent/agent-store.js'
import { UsageError } from '../../errors.js'
import type { CommandSpec } from '../command.js'
import {
  jsonOption,
  placeOptions,
  printResult,
  readAgentOptions,
  readInstalledAppId,
  runOperation,
} from './agent-common.js'

function describeOutcome(outcome: UpdateOutcome): string {
  switch (outcome.result) {
    case 'updated':
      return `updated ${outcome.appId} ${outcome.from} -> ${outcome.to}`
    case 'rolled-back':
      return (
        `rolled back ${outcome.appId} to ${outcome.from}: ${outcome.reason}` +
        ' (data, images and secrets of both releases are kept)'
      )
    default:
      return `${outcome.appId}: ${outcome.result} (${outcome.reason})`
  }
}

export const updateCommands: CommandSpec[] = [
  {
    noun: 'agent',
    verb: 'update',
    summary: 'update installed apps (or APP) to their newest release, rolling back if unhealthy',
    args: '[APP]',
    maxArgs: 1,
    options: { ...placeOptions, ...jsonOption },
    async run(input) {
      const named = input.positionals[0]
      const app = named === undefined ? undefined : readInstalledAppId(named)
      const outcomes = await runOperation<UpdateOutcome[]>(input, readAgentOptions(input), {
        op: 'update',
        ...(app !== undefined && { app }),
      })
      for (const outcome of outcomes) {
        for (const warning of outcome.warnings) input.io.err(`warning: ${warning}`)
      }
      const text = outcomes.length ? outcomes.map(describeOutcome).join('\n') : 'no apps installed'
      printResult(input, outcomes, text)
      return outcomes.some((outcome) => outcome.result === 'rolled-back') ? 1 : 0
    },
  },
  {
    noun: 'agent',
    verb: 'pin',
    summary: 'hold APP at VERSION (default: the installed one); nothing moves it but pin/unpin',
    args: 'APP [VERSION]',
    minArgs: 1,
    maxArgs: 2,
    options: { ...placeOptions, ...jsonOption },
    async run(input) {
      const app = readInstalledAppId(input.positionals[0]!)
      const version = input.positionals[1]
      const pinned = await runOperation<{
        appId: string
        pinnedVersion: string
        installed: string
      }>(input, readAgentOptions(input), {
        op: 'pin',
        app,
        ...(version !== undefined && { version }),
      })
      const move =
        pinned.pinnedVersion === pinned.installed
          ? ''
          : `; ${pinned.installed} is installed: archy agent update ${app} moves to it`
      printResult(input, pinned, `pinned ${app} to ${pinned.pinnedVersion}${move}`)
      return 0
    },
  },
  {
    noun: 'agent',
    verb: 'unpin',
    summary: 'remove the pin of APP: updates may move it again',
    args: 'APP',
    minArgs: 1,
    maxArgs: 1,
    options: { ...placeOptions, ...jsonOption },
    async run(input) {
      const app = readInstalledAppId(input.positionals[0]!)
      const result = await runOperation(input, readAgentOptions(input), { op: 'unpin', app })
      printResult(input, result, `unpinned ${app}`)
      return 0
    },
  },
  {
    noun: 'agent',
    verb: 'auto-update',
    summary: 'on: reconcile passes update APP by themselves; off (the default): status shows it',
    args: 'APP on|off',
    minArgs: 2,
    maxArgs: 2,
    options: { ...placeOptions, ...jsonOption },
    async run(input) {
      const app = readInstalledAppId(input.positionals[0]!)
      const value = input.positionals[1]!
      if (value !== 'on' && value !== 'off') {
        throw new UsageError(`auto-update: "${value}" must be on or off`)
      }
      const policy = await runOperation<UpdatePolicy & { appId: string }>(
        input,
        readAgentOptions(input),
        { op: 'auto-update', app, on: value === 'on' },
      )
      printResult(input, policy, `auto-update ${value} for ${app}`)
      return 0
    },
  },
]
