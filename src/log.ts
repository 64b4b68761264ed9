// The one logger factory: structured JSON (pino) to standard error. Callers log fixed messages
// with variables in fields (`appId`, `eventId`, `digest`), never keys, secrets or event contents.
import { pino, type Logger } from 'pino'

export type { Logger }

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** A logger named for its component, writing JSON lines to standard error. */
export function createLogger(name: string, level: string = 'info'): Logger {
  return pino(
    {
      name,
      level,
      // Belt and braces: fields that could carry secrets or contents are never written.
      redact: { paths: ['secret', 'secretKey', 'seed', 'authorization', 'content'], remove: true },
    },
    pino.destination({ fd: 2, sync: false }),
  )
}
