// The HTTP edge's one error mapping: every failure becomes JSON `{ error, message }` with a status
// chosen from the error's stable code. Unexpected errors are logged and answered without details.
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { Logger } from 'pino'

import { ArchyError } from '../src/errors.js'

const STATUS_BY_CODE: Record<string, ContentfulStatusCode> = {
  invalid: 400,
  aborted: 400,
  unauthorized: 401,
  unverified: 401,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  'too-large': 413,
  'quota-exceeded': 413,
  'range-not-satisfiable': 416,
}

/**
 * A JSON error response. The message is repeated in `X-Reason`, where Blossom clients read it
 * (BUD-01) and where a HEAD answer, which has no body, can carry it.
 */
export function respondError(
  c: Context,
  status: ContentfulStatusCode,
  error: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  const reason = message.replace(/[^\x20-\x7e]/g, '?').slice(0, 512)
  return c.json({ error, message }, status, { 'x-reason': reason, ...headers })
}

/** Maps a thrown value to its JSON response; anything unexpected is a logged 500. */
export function respondToError(c: Context, error: unknown, logger: Logger): Response {
  if (error instanceof ArchyError && STATUS_BY_CODE[error.code] !== undefined) {
    return respondError(c, STATUS_BY_CODE[error.code]!, error.code, error.message)
  }
  logger.error({ err: error, method: c.req.method, path: c.req.path }, 'request failed')
  return respondError(c, 500, 'internal', 'the server could not complete the request')
}

/** A 404 naming what was not found. */
export function notFound(message: string): ArchyError {
  return new ArchyError('not-found', message)
}

/**
 * The answer to a plain OPTIONS (not a CORS preflight, which http-cors.ts answers): 204 with the
 * methods the path takes in Allow (RFC 9110 §9.3.7, §10.2.1).
 */
export function answerOptions(allow: string): (c: Context) => Response {
  return (c) => c.body(null, 204, { allow: `${allow}, OPTIONS` })
}

/** A 405 naming the methods the path does take. */
export function methodNotAllowed(method: string, allowed: string): ArchyError {
  return new ArchyError('method-not-allowed', `${method} is not allowed here; use ${allowed}`)
}
