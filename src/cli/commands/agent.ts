// The `archy agent` commands: follow registries, install apps onto rootless Podman, and run their
// lifecycle. Each command goes to the daemon when one runs (agent-common.ts), else opens the
// agent under its state lock and reconciles what it touches.
import { hasAgentState } from '../../../node-agent/agent-context.js'
import { resolveAgentPaths } from '../../../node-agent/agent-paths.js'
import type { AddedRegistry } from '../../../node-agent/catalog-follower.js'
import { normalizeRegistryUrl } from '../../../node-agent/catalog-follower.js'
import type { InstallResult } from '../../../node-agent/install.js'
import type { UninstallResult } from '../../../node-agent/lifecycle.js'
import type { PassResult } from '../../../node-agent/reconcile-pass.js'
import { parseModeOption } from '../../../node-agent/runtime-mode.js'
import { describeMissingState, renderStatus } from '../../../node-agent/status.js'
import type { AgentStatus } from '../../../node-agent/status.js'
import { UsageError, ValidationError } from '../../errors.js'
import { isEd25519DidKey } from '../../identity/did-key.js'
import { flagOption, stringOption } from '../command.js'
import type { CommandInput, CommandSpec, OptionSpec } from '../command.js'
import {
  jsonOption,
  placeOptions,
  printResult,
  readAgentOptions,
  readAppAddress,
  readInstalledAppId,
  runOperation,
} from './agent-common.js'
import { daemonCommands } from './agent-daemon.js'
import { updateCommands } from './agent-updates.js'

const modeOption: Record<string, OptionSpec> = {
  mode: {
    type: 'string',
    valueName: 'MODE',
    description: 'auto, quadlet or podman (default auto: quadlet where the host can run it)',
  },
}

function readMode(input: CommandInput): ReturnType<typeof parseModeOption> {
  try {
    return parseModeOption(stringOption(input, 'mode'))
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

/** URL of `agent add-registry`, by the rules the follower applies (no userinfo ever shown). */
function checkRegistryUrl(value: string): void {
  try {
    normalizeRegistryUrl(value)
  } catch (error) {
    if (error instanceof ValidationError) throw new UsageError(error.message)
    throw error
  }
}

function lifecycleCommand(verb: 'start' | 'stop' | 'restart', summary: string): CommandSpec {
  return {
    noun: 'agent',
    verb,
    summary,
    args: 'APP',
    minArgs: 1,
    maxArgs: 1,
    options: { ...placeOptions, ...jsonOption },
    async run(input) {
      const appId = readInstalledAppId(input.positionals[0]!)
      await runOperation(input, readAgentOptions(input), { op: verb, app: appId })
      const done = { start: 'started', stop: 'stopped', restart: 'restarted' }[verb]
      printResult(input, { appId, state: done }, `${done} ${appId}`)
      return 0
    },
  }
}

export const commands: CommandSpec[] = [
  {
    noun: 'agent',
    verb: 'add-registry',
    summary: 'follow a registry: verify its signed catalog and pin its key',
    args: 'URL',
    minArgs: 1,
    maxArgs: 1,
    options: {
      did: { type: 'string', valueName: 'DID', description: "the registry's did:key to pin" },
      ...placeOptions,
      ...jsonOption,
    },
    async run(input) {
      const did = stringOption(input, 'did')
      checkRegistryUrl(input.positionals[0]!)
      if (did !== undefined && !isEd25519DidKey(did)) {
        throw new UsageError(`--did: "${did}" is not an Ed25519 did:key (did:key:z6Mk...)`)
      }
      const added = await runOperation<AddedRegistry>(input, readAgentOptions(input), {
        op: 'add-registry',
        url: input.positionals[0]!,
        ...(did !== undefined && { did }),
      })
      const text = [
        `following ${added.url}`,
        `pinned ${added.did}`,
        `catalog sequence ${added.sequence}, ${added.apps} app(s)`,
      ].join('\n')
      printResult(input, added, text)
      if (added.pinnedFirstSeen) {
        input.io.err(
          'note: no --did was given, so the key this registry presented first is pinned; ' +
            "compare it with the operator's published DID",
        )
      }
      return 0
    },
  },
  {
    noun: 'agent',
    verb: 'install',
    summary: 'install (or reinstall) an app and its stack; APP is an id or id@<publisher did>',
    args: 'APP',
    minArgs: 1,
    maxArgs: 1,
    options: {
      ...placeOptions,
      ...modeOption,
      'with-dependencies': {
        type: 'boolean',
        description: "first install missing app dependencies from the same registry's catalog",
      },
      pin: { type: 'boolean', description: 'pin the installed version (see archy agent pin)' },
      'auto-update': {
        type: 'boolean',
        description: 'let reconcile passes update the app to newer releases by themselves',
      },
      ...jsonOption,
    },
    async run(input) {
      const mode = readMode(input)
      readAppAddress(input.positionals[0]!)
      const result = await runOperation<InstallResult>(input, readAgentOptions(input), {
        op: 'install',
        app: input.positionals[0]!,
        mode,
        withDependencies: flagOption(input, 'with-dependencies'),
        pin: flagOption(input, 'pin'),
        autoUpdate: flagOption(input, 'auto-update'),
      })
      for (const warning of result.warnings) input.io.err(`warning: ${warning}`)
      const members = result.members.join(', ')
      const lines = result.dependencies.map((id) => `installed dependency ${id}`)
      lines.push(
        `installed ${result.appId} ${result.version} from ${result.registryUrl} (${members})`,
      )
      printResult(input, result, lines.join('\n'))
      return 0
    },
  },
  {
    noun: 'agent',
    verb: 'status',
    summary: 'show followed registries and installed apps with their container states',
    options: { ...placeOptions, ...jsonOption },
    async run(input) {
      // Read-only: a state that does not exist is reported empty, not created.
      const options = readAgentOptions(input)
      const paths = resolveAgentPaths(options)
      if (!(await hasAgentState(paths))) {
        const text =
          `no agent state in ${paths.stateDir}: ` + 'no registries followed, no apps installed'
        printResult(input, describeMissingState(paths), text)
        return 0
      }
      const status = await runOperation<AgentStatus>(input, options, { op: 'status' })
      printResult(input, status, renderStatus(status))
      return 0
    },
  },
  lifecycleCommand('start', 'start an installed app (the whole stack)'),
  lifecycleCommand('stop', 'stop an installed app (the whole stack)'),
  lifecycleCommand('restart', 'restart an installed app (the whole stack)'),
  {
    noun: 'agent',
    verb: 'reconcile',
    summary:
      'one reconcile pass: refresh catalogs, apply auto-updates, converge installed apps (or APP)',
    args: '[APP]',
    maxArgs: 1,
    options: { ...placeOptions, ...jsonOption },
    async run(input) {
      const named = input.positionals[0]
      const appId = named === undefined ? undefined : readInstalledAppId(named)
      const pass = await runOperation<PassResult>(input, readAgentOptions(input), {
        op: 'reconcile',
        ...(appId !== undefined && { app: appId }),
      })
      const lines = [
        ...pass.updates.map((u) => `${u.appId}: ${u.result} ${u.from} -> ${u.to} (${u.reason})`),
        ...pass.steps.map((s) => `${s.appId}: ${s.step} (${s.reason})`),
      ]
      for (const warning of pass.warnings) input.io.err(`warning: ${warning}`)
      for (const error of pass.errors) input.io.err(`error: ${error}`)
      printResult(input, pass, lines.length ? lines.join('\n') : passSummary(pass.errors.length))
      return pass.errors.length > 0 ? 1 : 0
    },
  },
  {
    noun: 'agent',
    verb: 'uninstall',
    summary: 'remove an app; data and secrets stay unless --purge',
    args: 'APP',
    minArgs: 1,
    maxArgs: 1,
    options: {
      purge: { type: 'boolean', description: "also delete the app's data and secrets" },
      ...placeOptions,
      ...jsonOption,
    },
    async run(input) {
      const appId = readInstalledAppId(input.positionals[0]!)
      const purge = flagOption(input, 'purge')
      const result = await runOperation<UninstallResult & { dataDir: string }>(
        input,
        readAgentOptions(input),
        { op: 'uninstall', app: appId, purge },
      )
      const lines = [
        purge
          ? `uninstalled ${appId}; deleted its data and secrets`
          : `uninstalled ${appId}; data kept in ${result.dataDir}, ` +
            'secrets kept (--purge deletes them)',
        ...result.otherAgents.map((name) => `left ${name}: another agent state manages it`),
      ]
      const text = lines.join('\n')
      printResult(input, { appId, purge, ...result }, text)
      return 0
    },
  },
  ...updateCommands,
  ...daemonCommands,
]

/** What a pass that took no step says: "nothing to do" only when nothing failed either. */
function passSummary(errors: number): string {
  if (errors === 0) return 'nothing to do'
  return `no step taken: ${errors} error${errors === 1 ? '' : 's'} (above)`
}
