// The composition root of the `archy` command: parses `archy <noun> <verb> [options]`, runs the
// command, and maps every error once to an exit code (0 ok, 1 failure, 2 usage) and one line.
import { parseArgs } from 'node:util'

import { ArchyError, UsageError, describeError } from '../errors.js'
import type { CliIO, CommandSpec, OptionSpec, OptionValue } from './command.js'
import { loadCommands } from './registry.js'

const consoleIO: CliIO = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : text + '\n'),
}

/** Runs the CLI on argv (without node and script) and returns the exit code. */
export async function main(argv: string[], io: CliIO = consoleIO): Promise<number> {
  const commands = await loadCommands()
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      io.out(renderHelp(commands))
      return argv.length === 0 ? 2 : 0
    }
    const command = findCommand(commands, argv)
    const rest = argv.slice(command.verb ? 2 : 1)
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(renderCommandHelp(command))
      return 0
    }
    let parsed
    try {
      parsed = parseCommandLine(command, rest)
    } catch (error) {
      // A bad command line points at the command's own help, which lists what it takes.
      if (error instanceof UsageError) {
        return reportUsage(io, error, `archy ${commandName(command)} --help`)
      }
      throw error
    }
    return await command.run({ ...parsed, io })
  } catch (error) {
    if (error instanceof UsageError) return reportUsage(io, error, 'archy --help')
    io.err(`archy: ${describeError(error)}`)
    if (!(error instanceof ArchyError) && process.env.ARCHY_DEBUG) io.err(String(error))
    return 1
  }
}

/** One line for a usage error, pointing at the help that explains it; the exit code is 2. */
function reportUsage(io: CliIO, error: UsageError, help: string): number {
  io.err(`archy: ${error.message} (see ${help})`)
  return 2
}

function findCommand(commands: CommandSpec[], argv: string[]): CommandSpec {
  const [noun, verb] = argv
  const ofNoun = commands.filter((c) => c.noun === noun)
  if (ofNoun.length === 0) throw new UsageError(`unknown command "${noun}"`)
  const exact = ofNoun.find((c) => c.verb === verb)
  if (exact) return exact
  const nounOnly = ofNoun.find((c) => c.verb === '')
  if (nounOnly) return nounOnly
  const verbs = ofNoun.map((c) => c.verb).join(', ')
  if (verb === undefined) throw new UsageError(`"${noun}" needs a verb: ${verbs}`)
  throw new UsageError(`unknown command "${noun} ${verb}"; "${noun}" takes ${verbs}`)
}

function parseCommandLine(
  command: CommandSpec,
  rest: string[],
): { positionals: string[]; options: Record<string, OptionValue> } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {}
  for (const [name, spec] of Object.entries(command.options ?? {})) {
    options[name] = { type: spec.type, multiple: spec.multiple ?? false }
  }
  let parsed
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true, tokens: true })
  } catch (error) {
    throw new UsageError(describeParseError(error))
  }
  refuseRepeatedOptions(command, parsed.tokens)
  const min = command.minArgs ?? 0
  const max = command.maxArgs ?? 0
  const name = commandName(command)
  if (parsed.positionals.length < min) {
    throw new UsageError(`"${name}" needs ${command.args ?? 'arguments'}`)
  }
  if (parsed.positionals.length > max) {
    const most = max === 0 ? 'no arguments' : `at most ${max} argument${max === 1 ? '' : 's'}`
    throw new UsageError(`"${name}" takes ${most}`)
  }
  const values = parsed.values as Record<string, OptionValue>
  return { positionals: parsed.positionals, options: values }
}

/** `keys new`, or `version` for a noun-only command. */
function commandName(command: CommandSpec): string {
  return command.verb ? `${command.noun} ${command.verb}` : command.noun
}

/** Node's parseArgs errors, by their code, as one line in our words naming the option. */
function describeParseError(error: unknown): string {
  const message = describeError(error)
  const code = (error as { code?: string }).code
  const option = /^(?:Unknown option|Option) '(-{1,2}[^'\s<]+)/.exec(message)?.[1]
  if (option !== undefined && code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return `unknown option ${option}`
  }
  if (option !== undefined && code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (message.includes('argument is ambiguous')) {
      return `${option} needs a value; write a value that starts with "-" as ${option}=VALUE`
    }
    if (message.includes('argument missing')) return `${option} needs a value`
    if (message.includes('does not take an argument')) return `${option} takes no value`
  }
  return message.split('\n')[0]!.replace(/\. To specify.*$/, '')
}

/** A single-valued option given twice is a usage error, never silently last-wins. */
function refuseRepeatedOptions(
  command: CommandSpec,
  tokens: { kind: string; name?: string }[] | undefined,
): void {
  const seen = new Set<string>()
  for (const token of tokens ?? []) {
    if (token.kind !== 'option' || token.name === undefined) continue
    if (command.options?.[token.name]?.multiple) continue
    if (seen.has(token.name)) throw new UsageError(`--${token.name} is given more than once`)
    seen.add(token.name)
  }
}

function renderHelp(commands: CommandSpec[]): string {
  const lines = ['Usage: archy <noun> <verb> [options]', '', 'Commands:']
  const width = Math.max(...commands.map((c) => usageLine(c).length))
  for (const command of commands) {
    lines.push(`  ${usageLine(command).padEnd(width)}  ${command.summary}`)
  }
  lines.push('', 'Run "archy <noun> <verb> --help" for the options of one command.')
  lines.push('Exit codes: 0 success, 1 failure, 2 usage error.')
  return lines.join('\n')
}

function usageLine(command: CommandSpec): string {
  return [command.noun, command.verb, command.args].filter(Boolean).join(' ')
}

function renderCommandHelp(command: CommandSpec): string {
  const lines = [`Usage: archy ${usageLine(command)} [options]`, '', command.summary]
  const entries = Object.entries(command.options ?? {})
  if (entries.length > 0) {
    lines.push('', 'Options:')
    const shown = entries.map(([name, spec]) => [optionLabel(name, spec), spec.description])
    const width = Math.max(...shown.map(([label]) => label!.length))
    for (const [label, description] of shown)
      lines.push(`  ${label!.padEnd(width)}  ${description}`)
  }
  return lines.join('\n')
}

function optionLabel(name: string, spec: OptionSpec): string {
  if (spec.type === 'boolean') return `--${name}`
  const label = `--${name} ${spec.valueName ?? 'VALUE'}`
  return spec.multiple ? `${label}...` : label
}
