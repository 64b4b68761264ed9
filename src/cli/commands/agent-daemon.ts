// `archy agent run`: the daemon (node-agent/agent-daemon.ts) in the foreground, as the systemd
// user unit deploy/archy-agent.service starts it; SIGTERM or SIGINT stops it cleanly.
import { startAgentDaemon, DEFAULT_PASS_INTERVAL_MS } from '../../../node-agent/agent-daemon.js'
import { UsageError } from '../../errors.js'
import { createLogger, LOG_LEVELS } from '../../log.js'
import { stringOption } from '../command.js'
import type { CommandSpec } from '../command.js'
import { placeOptions, readAgentOptions } from './agent-common.js'
import { waitForSignal } from '../signals.js'

export const daemonCommands: CommandSpec[] = [
  {
    noun: 'agent',
    verb: 'run',
    summary: 'the agent daemon: reconcile loop and the local API the other agent commands use',
    options: {
      ...placeOptions,
      interval: {
        type: 'string',
        valueName: 'SECONDS',
        description: `seconds between passes (default ${DEFAULT_PASS_INTERVAL_MS / 1000})`,
      },
      'log-level': {
        type: 'string',
        valueName: 'LEVEL',
        description: 'lowest level of log lines on standard error (default info)',
      },
    },
    async run(input) {
      const interval = stringOption(input, 'interval')
      if (interval !== undefined && (!/^\d{1,6}$/.test(interval) || Number(interval) < 1)) {
        throw new UsageError(
          `--interval: "${interval}" must be a whole number of seconds, 1 or more`,
        )
      }
      const level = stringOption(input, 'log-level') ?? 'info'
      if (!(LOG_LEVELS as readonly string[]).includes(level)) {
        throw new UsageError(`--log-level: "${level}" must be one of ${LOG_LEVELS.join(', ')}`)
      }
      const logger = createLogger('agent', level)
      const daemon = await startAgentDaemon({
        ...readAgentOptions(input),
        logger,
        ...(interval !== undefined && { intervalMs: Number(interval) * 1000 }),
      })
      input.io.err(`agent daemon on ${daemon.socket}`)
      const signal = await waitForSignal()
      input.io.err(`received ${signal}, stopping`)
      await daemon.stop()
      return 0
    },
  },
]
