// Runs the `archy` CLI in-process with captured output, for CLI tests.
import { main } from '../../src/cli/main.js'

export interface CliRun {
  code: number
  out: string
  err: string
}

/** Runs `archy ...args` and returns the exit code and everything printed. */
export async function runCli(args: string[]): Promise<CliRun> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(args, { out: (text) => out.push(text), err: (text) => err.push(text) })
  return { code, out: out.join('\n'), err: err.join('\n') }
}
