// `archy publish`: uploads a release's artifacts, signs it, publishes the release event to the
// registry's relay, and prints the event id, the relay's answer, the registry's verdict and the
// sequence of the first catalog that lists the release.
import { UsageError } from '../../errors.js'
import { readKeyFile } from '../../identity/key-file.js'
import { publishRelease } from '../../publish/publish-release.js'
import { flagOption, requireOption, type CommandSpec } from '../command.js'
import { formatProblem } from './app-validate.js'

export const commands: CommandSpec[] = [
  {
    noun: 'publish',
    verb: '',
    summary: 'upload artifacts, sign and publish a release to a registry',
    args: 'FILE...',
    minArgs: 1,
    maxArgs: 64,
    options: {
      key: { type: 'string', valueName: 'KEY', description: 'publisher key file' },
      registry: { type: 'string', valueName: 'URL', description: 'registry base URL' },
      json: { type: 'boolean', description: 'print the report as JSON' },
    },
    async run(input) {
      const keys = await readKeyFile(requireOption(input, 'key'))
      const registryUrl = parseRegistryUrl(requireOption(input, 'registry'))
      const json = flagOption(input, 'json')
      const report = await publishRelease({
        files: input.positionals,
        keys,
        registryUrl,
        onProgress: json ? undefined : (line) => input.io.err(line),
      })
      const ok = report.relay.accepted && report.verdict.status === 'accepted'
      if (!json) {
        for (const { file, problem } of report.warnings) input.io.err(formatProblem(file, problem))
      }
      if (json) {
        input.io.out(JSON.stringify(report, null, 2))
        return ok ? 0 : 1
      }
      input.io.out(`event:    ${report.eventId}`)
      const answer = `${report.relay.accepted ? 'OK' : 'refused'} ${report.relay.message}`
      input.io.out(`relay:    ${answer.trim()}`)
      const reason = report.verdict.reason ? `: ${report.verdict.reason}` : ''
      input.io.out(`registry: ${report.verdict.status}${reason}`)
      if (report.verdict.status === 'accepted') {
        const listed = report.catalog
        input.io.out(
          listed
            ? `catalog:  sequence ${listed.sequence}`
            : 'catalog:  not listed yet (the registry has not re-signed its catalog)',
        )
      }
      return ok ? 0 : 1
    },
  },
]

function parseRegistryUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new UsageError(`--registry "${value}" is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError('--registry must be an http:// or https:// URL')
  }
  return url.toString()
}
