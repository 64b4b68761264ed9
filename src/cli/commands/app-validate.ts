// `archy app validate` and `archy app schema`: check manifests as a set and print one line per
// problem (including `file:` images and hook sources that name no usable file), or print the JSON
// Schema editors use. Exit 1 when any file has an error.
import { ValidationError, describeError } from '../../errors.js'
import { manifestJsonSchema } from '../../manifest/json-schema.js'
import { loadManifestFile } from '../../manifest/load.js'
import { validateManifestSet } from '../../manifest/validate.js'
import { checkFileReferences } from '../../release/package-release.js'
import type { ManifestProblem } from '../../manifest/validate.js'
import { flagOption } from '../command.js'
import type { CommandInput, CommandSpec } from '../command.js'

interface FileReport {
  file: string
  valid: boolean
  problems: ManifestProblem[]
}

/** Loads each file, validates the loadable ones together and reports per file. */
export async function validateFiles(files: string[], strict: boolean): Promise<FileReport[]> {
  const loaded = await Promise.all(files.map(loadForReport))
  const documents = loaded.flatMap((entry) => ('document' in entry ? [entry.document] : []))
  const { checks } = validateManifestSet(documents, { strict })
  let next = 0
  const reports = loaded.map(async (entry, index): Promise<FileReport> => {
    const file = files[index] ?? ''
    if (!('document' in entry)) return { file, valid: false, problems: [entry.problem] }
    const check = checks[next++]
    const problems = [...(check?.problems ?? [])]
    // References to files next to the manifest are checked once the manifest itself is valid.
    if (check?.manifest) {
      problems.push(...(await checkFileReferences(entry.document as Record<string, unknown>, file)))
    }
    return { file, valid: !problems.some((problem) => problem.severity === 'error'), problems }
  })
  return Promise.all(reports)
}

async function loadForReport(
  file: string,
): Promise<{ document: unknown } | { problem: ManifestProblem }> {
  try {
    return { document: await loadManifestFile(file) }
  } catch (error) {
    // The error's message starts with the file name, which the report line already shows.
    let message = describeError(error)
    if (error instanceof ValidationError && message.startsWith(`${file}: `)) {
      message = message.slice(file.length + 2)
    }
    return { problem: { severity: 'error', path: '', message } }
  }
}

/** `FILE: path: message`, or `FILE: warning: path: message`. */
export function formatProblem(file: string, problem: ManifestProblem): string {
  const prefix = problem.severity === 'warning' ? `${file}: warning:` : `${file}:`
  return problem.path
    ? `${prefix} ${problem.path}: ${problem.message}`
    : `${prefix} ${problem.message}`
}

async function runValidate(input: CommandInput): Promise<number> {
  const reports = await validateFiles(input.positionals, flagOption(input, 'strict'))
  if (flagOption(input, 'json')) {
    input.io.out(JSON.stringify({ files: reports }, null, 2))
  } else {
    for (const report of reports) {
      for (const problem of report.problems) input.io.out(formatProblem(report.file, problem))
      if (report.valid) input.io.out(`${report.file}: valid`)
    }
  }
  return reports.every((report) => report.valid) ? 0 : 1
}

async function runSchema(input: CommandInput): Promise<number> {
  input.io.out(JSON.stringify(manifestJsonSchema(), null, 2))
  return 0
}

export const commands: CommandSpec[] = [
  {
    noun: 'app',
    verb: 'validate',
    summary: 'check app manifests (validated together as one set); exit 1 on any error',
    args: 'FILE...',
    minArgs: 1,
    maxArgs: Infinity,
    options: {
      strict: { type: 'boolean', description: 'Treat unknown keys as errors' },
      json: { type: 'boolean', description: 'Print { files: [{ file, valid, problems }] }' },
    },
    run: runValidate,
  },
  {
    noun: 'app',
    verb: 'schema',
    summary: 'print the JSON Schema of an app manifest, for editors',
    run: runSchema,
  },
]
