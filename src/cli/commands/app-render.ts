// The `archy app` commands of this module (placeholder until its owner fills it in).
import type { CommandSpec } from '../command.js'

export const commands: CommandSpec[] = []
