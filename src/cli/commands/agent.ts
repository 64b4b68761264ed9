// The `archy agent` commands: follow registries, install apps onto rootless Podman, and run their
// lifecycle. Each command opens the agent under its state lock and reconciles what it touches.
import { isIPv4 } from 'node:net'

import { hasAgentState, withAgent, type AgentOptions } from '../../../node-agent/agent-context.js'
import { appDataDir, resolveAgentPaths } from '../../../node-agent/agent-paths.js'
import { addRegistry, normalizeRegistryUrl } from '../../../node-agent/catalog-follower.js'
import { installApp } from '../../../node-agent/install.js'
import {
  reconcileApp,
  restartApp,
  setAppState,
  uninstallApp,
} from '../../../node-agent/lifecycle.js'
import { parseModeOption } from '../../../node-agent/runtime-mode.js'
import { collectStatus, describeMissingState, renderStatus } from '../../../node-agent/status.js'
import { UsageError, ValidationError } from '../../errors.js'
import { isEd25519DidKey } from '../../identity/did-key.js'
import { parseAppAddress, type AppAddress } from '../../release/app-address.js'
import { flagOption, stringOption } from '../command.js'
import type { CommandInput, CommandSpec, OptionSpec } from '../command.js'

const placeOptions: Record<string, OptionSpec> = {
  state: {
    type: 'string',
    valueName: 'DIR',
    description: 'agent state (default $ARCHY_AGENT_STATE or ~/.local/share/archipelago/agent)',
  },
  'data-root': {
    type: 'string',
    valueName: 'DIR',
    description: 'app data root (default $ARCHY_DATA_ROOT or ~/.local/share/archipelago/apps)',
  },
  'host-ip': {
    type: 'string',
    valueName: 'IP',
    description: "{{HOST_IP}} for apps (default: the default route's address)",
  },
}
const jsonOption: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print the result as JSON' },
}
const modeOption: Record<string, OptionSpec> = {
  mode: {
    type: 'string',
    valueName: 'MODE',
    description: 'auto, quadlet or podman (default auto; auto uses podman for now)',
  },
}

/** The place options, checked: a bad value is a usage error naming the flag (exit 2). */
function readAgentOptions(input: CommandInput): AgentOptions {
  const state = stringOption(input, 'state')
  const dataRoot = stringOption(input, 'data-root')
  const hostIp = stringOption(input, 'host-ip')
  if (state === '') throw new UsageError('--state: must not be empty')
  if (dataRoot === '') throw new UsageError('--data-root: must not be empty')
  if (hostIp !== undefined && !isIPv4(hostIp)) {
    throw new UsageError(`--host-ip: "${hostIp}" is not an IPv4 address`)
  }
  return {
    ...(state !== undefined && { state }),
    ...(dataRoot !== undefined && { dataRoot }),
    ...(hostIp !== undefined && { hostIp }),
  }
}

function readMode(input: CommandInput): ReturnType<typeof parseModeOption> {
  try {
    return parseModeOption(stringOption(input, 'mode'))
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

/** APP of `agent install`: an app id, or `id@<publisher did>`; a bad one is a usage error. */
function readAppAddress(value: string): AppAddress {
  try {
    return parseAppAddress(value, 'APP')
  } catch (error) {
    if (error instanceof ValidationError) throw new UsageError(error.message)
    throw error
  }
}

/**
 * APP of the commands on an installed app: its id alone. A node has one app per id (DESIGN.md
 * §5), so a publisher's DID would name nothing more; a bad id is a usage error as for install.
 */
function readInstalledAppId(value: string): string {
  const { id, did } = readAppAddress(value)
  if (did !== undefined) {
    throw new UsageError(`APP: an installed app is named by its id alone ("${id}"), not id@did`)
  }
  return id
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

function printResult(input: CommandInput, value: unknown, text: string): void {
  input.io.out(flagOption(input, 'json') ? JSON.stringify(value, null, 2) : text)
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
      await withAgent(readAgentOptions(input), async (agent) => {
        if (verb === 'restart') await restartApp(agent, appId)
        else await setAppState(agent, appId, verb === 'start' ? 'running' : 'stopped')
      })
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
      const added = await withAgent(readAgentOptions(input), (agent) =>
        addRegistry(agent.store, input.positionals[0]!, did),
      )
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
      ...jsonOption,
    },
    async run(input) {
      const mode = readMode(input)
      readAppAddress(input.positionals[0]!)
      const withDependencies = flagOption(input, 'with-dependencies')
      const result = await withAgent(readAgentOptions(input), (agent) =>
        installApp(agent, input.positionals[0]!, { mode, withDependencies }),
      )
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
      const status = await withAgent(options, (agent) => collectStatus(agent))
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
    summary: 'converge installed apps on their desired state (all, or APP)',
    args: '[APP]',
    maxArgs: 1,
    options: { ...placeOptions, ...jsonOption },
    async run(input) {
      const named = input.positionals[0]
      const appId = named === undefined ? undefined : readInstalledAppId(named)
      const steps = await withAgent(readAgentOptions(input), async (agent) => {
        const ids = appId ? [appId] : agent.store.listInstalls().map((install) => install.appId)
        const all = []
        for (const id of ids) all.push(...(await reconcileApp(agent, id)))
        return all
      })
      const text = steps.length
        ? steps.map((s) => `${s.appId}: ${s.step} (${s.reason})`).join('\n')
        : 'nothing to do'
      printResult(input, steps, text)
      return 0
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
      const result = await withAgent(readAgentOptions(input), async (agent) => ({
        ...(await uninstallApp(agent, appId, { purge })),
        dataDir: appDataDir(agent.paths, appId),
      }))
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
]
