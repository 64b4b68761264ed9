// The project's few error classes. Each carries a stable string `code`; edges (CLI, HTTP, agent
// loop) map them once to an exit code, a status or a log line.

/** Base class: a stable machine-readable code, a human message, and the wrapped cause. */
export class ArchyError extends Error {
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** Input that breaks a rule: a manifest, event, catalog, flag or body. `path` names the field. */
export class ValidationError extends ArchyError {
  readonly path: string

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('invalid', path ? `${path}: ${message}` : message, options)
    this.path = path
  }
}

/** A signature, proof or digest that does not verify. */
export class VerificationError extends ArchyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unverified', message, options)
  }
}

/** A command line that cannot be parsed: the CLI exits 2. */
export class UsageError extends ArchyError {
  constructor(message: string) {
    super('usage', message)
  }
}

/** An external process (podman, systemctl, quadlet) that failed, timed out or was not found. */
export class ExecError extends ArchyError {
  readonly command: string
  readonly exitCode: number | null
  readonly stderr: string

  constructor(
    code: 'exec-failed' | 'exec-timeout' | 'exec-missing',
    command: string,
    message: string,
    details: { exitCode?: number | null; stderr?: string; cause?: unknown } = {},
  ) {
    super(code, message, { cause: details.cause })
    this.command = command
    this.exitCode = details.exitCode ?? null
    this.stderr = details.stderr ?? ''
  }
}

/** The one-line text for any thrown value, for the CLI and logs. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}
