// The `archy keys` commands.
import type { CommandSpec } from '../command.js'

export const commands: CommandSpec[] = []
