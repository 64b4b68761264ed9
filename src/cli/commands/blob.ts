// `archy blob hash`: the BLAKE3-256 digest of a file (the artifact address), in hex.
import { stat } from 'node:fs/promises'

import { ArchyError } from '../../errors.js'
import { digestFile } from '../../digest/blake3.js'
import { flagOption, type CommandSpec } from '../command.js'

export const commands: CommandSpec[] = [
  {
    noun: 'blob',
    verb: 'hash',
    summary: 'print the BLAKE3-256 digest of a file in hex',
    args: 'FILE',
    minArgs: 1,
    maxArgs: 1,
    options: { json: { type: 'boolean', description: 'print blake3, sha256 and size as JSON' } },
    async run(input) {
      const file = input.positionals[0]!
      let info
      try {
        info = await stat(file)
      } catch {
        throw new ArchyError('io', `cannot read ${file}`)
      }
      if (!info.isFile()) throw new ArchyError('io', `${file} is not a file`)
      const digests = await digestFile(file)
      if (flagOption(input, 'json')) input.io.out(JSON.stringify({ file, ...digests }))
      else input.io.out(digests.blake3)
      return 0
    },
  },
]
