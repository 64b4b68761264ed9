// What the `archy agent` commands share: the place options, argument checks, and running an
// operation on the daemon when its socket answers, else here under the state lock (DESIGN.md §5).
import { isIPv4 } from 'node:net'

import { withAgent, type AgentOptions } from '../../../node-agent/agent-context.js'
import { askDaemon } from '../../../node-agent/agent-client.js'
import { performOperation, type AgentOperation } from '../../../node-agent/agent-operations.js'
import { resolveAgentPaths } from '../../../node-agent/agent-paths.js'
import { UsageError, ValidationError } from '../../errors.js'
import { parseAppAddress, type AppAddress } from '../../release/app-address.js'
import { flagOption, stringOption } from '../command.js'
import type { CommandInput, OptionSpec } from '../command.js'
import { createProgressBar } from '../progress-bar.js'

export const placeOptions: Record<string, OptionSpec> = {
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

export const jsonOption: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print the result as JSON' },
}

/** The place options, checked: a bad value is a usage error naming the flag (exit 2). */
export function readAgentOptions(input: CommandInput): AgentOptions {
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

/** APP of `agent install`: an app id, or `id@<publisher did>`; a bad one is a usage error. */
export function readAppAddress(value: string): AppAddress {
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
export function readInstalledAppId(value: string): string {
  const { id, did } = readAppAddress(value)
  if (did !== undefined) {
    throw new UsageError(`APP: an installed app is named by its id alone ("${id}"), not id@did`)
  }
  return id
}

export function printResult(input: CommandInput, value: unknown, text: string): void {
  input.io.out(flagOption(input, 'json') ? JSON.stringify(value, null, 2) : text)
}

/**
 * Runs an operation on the running daemon (`archy agent run`), or, when none answers on the
 * state's socket, on this process under the state lock. Downloads show as a progress bar.
 */
export async function runOperation<T>(
  input: CommandInput,
  options: AgentOptions,
  operation: AgentOperation,
): Promise<T> {
  const bar = createProgressBar({ line: (text) => input.io.err(text) })
  try {
    const socket = resolveAgentPaths(options).socket
    const place = {
      ...(options.dataRoot !== undefined && { dataRoot: options.dataRoot }),
      ...(options.hostIp !== undefined && { hostIp: options.hostIp }),
    }
    const answer = await askDaemon(socket, { ...operation, ...place }, bar.update)
    if (answer.answered) return answer.result as T
    return await withAgent(options, async (agent) => {
      agent.progress = bar.update
      return (await performOperation(agent, operation)) as T
    })
  } finally {
    bar.stop()
  }
}
