// The shape of one `archy <noun> <verb>` command. Options are parsed into a plain object by
// main.ts; the command's `run` does the work and returns the exit code.
import { UsageError } from '../errors.js'

export type OptionValue = string | boolean | string[] | undefined

export interface OptionSpec {
  type: 'string' | 'boolean'
  /** May be given several times; the value is then a string array. */
  multiple?: boolean
  description: string
  /** Placeholder shown in help, e.g. FILE. */
  valueName?: string
}

export interface CliIO {
  /** One line (or block) for standard output. */
  out(text: string): void
  /** One line for standard error: warnings and progress. */
  err(text: string): void
}

export interface CommandInput {
  positionals: string[]
  options: Record<string, OptionValue>
  io: CliIO
}

export interface CommandSpec {
  noun: string
  /** Empty for a noun-only command such as `archy version`. */
  verb: string
  summary: string
  /** Positional arguments as shown in help, e.g. `FILE...`. */
  args?: string
  /** Smallest and largest number of positionals; default none. */
  minArgs?: number
  maxArgs?: number
  options?: Record<string, OptionSpec>
  run(input: CommandInput): Promise<number>
}

/** Reads a string option, or undefined. */
export function stringOption(input: CommandInput, name: string): string | undefined {
  const value = input.options[name]
  return typeof value === 'string' ? value : undefined
}

/** Reads a required string option or fails with a usage error naming it. */
export function requireOption(input: CommandInput, name: string): string {
  const value = stringOption(input, name)
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`)
  return value
}

/** Reads a repeatable string option as a list. */
export function listOption(input: CommandInput, name: string): string[] {
  const value = input.options[name]
  if (Array.isArray(value)) return value
  return typeof value === 'string' ? [value] : []
}

/** Reads a boolean flag. */
export function flagOption(input: CommandInput, name: string): boolean {
  return input.options[name] === true
}
