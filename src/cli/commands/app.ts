// `archy app sign`: turns manifest files (primary first) into a signed release document, with
// `file:` references replaced by BLAKE3 artifacts. Nothing is uploaded; `archy publish` does that.
import { open } from 'node:fs/promises'

import { readKeyFile } from '../../identity/key-file.js'
import { packageRelease } from '../../release/package-release.js'
import { flagOption, requireOption, type CommandSpec } from '../command.js'
import { formatProblem } from './app-validate.js'

export const commands: CommandSpec[] = [
  {
    noun: 'app',
    verb: 'sign',
    summary: 'sign manifests (primary first) into a release document',
    args: 'FILE...',
    minArgs: 1,
    maxArgs: 64,
    options: {
      key: { type: 'string', valueName: 'KEY', description: 'publisher key file' },
      out: { type: 'string', valueName: 'OUT', description: 'where to write the release JSON' },
      json: { type: 'boolean', description: 'print the artifacts as JSON' },
    },
    async run(input) {
      const keys = await readKeyFile(requireOption(input, 'key'))
      const out = requireOption(input, 'out')
      const { release, artifacts, warnings } = await packageRelease(input.positionals, keys)
      for (const { file, problem } of warnings) input.io.err(formatProblem(file, problem))
      const handle = await open(out, 'w', 0o644)
      try {
        await handle.writeFile(JSON.stringify(release, null, 2) + '\n')
      } finally {
        await handle.close()
      }
      const listed = artifacts.map(({ name, blake3, size, path }) => ({ name, blake3, size, path }))
      if (flagOption(input, 'json')) {
        input.io.out(JSON.stringify({ release: out, app: release.app, artifacts: listed }))
        return 0
      }
      input.io.out(`signed ${release.app} ${release.version} by ${release.author.did} -> ${out}`)
      for (const artifact of listed) {
        input.io.out(`artifact ${artifact.name} blake3:${artifact.blake3} (${artifact.size} bytes)`)
      }
      return 0
    },
  },
]
