// Every command of `archy`, gathered from the command modules. Each module owns one noun.
import type { CommandSpec } from './command.js'

/** Loads the command table; modules load lazily so `archy --help` stays fast. */
export async function loadCommands(): Promise<CommandSpec[]> {
  const modules = await Promise.all([
    import('./commands/keys.js'),
    import('./commands/app.js'),
    import('./commands/app-validate.js'),
    import('./commands/app-render.js'),
    import('./commands/app-import.js'),
    import('./commands/proof.js'),
    import('./commands/blob.js'),
    import('./commands/publish.js'),
    import('./commands/node.js'),
    import('./commands/agent.js'),
  ])
  return modules.flatMap((module) => module.commands)
}
