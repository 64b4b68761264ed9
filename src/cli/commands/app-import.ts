// `archy app import umbrel DIR --out DIR`: converts Umbrel apps into manifests and prints the
// report (or writes it to --report FILE, which must lie outside the output directory).
// Exit 0 when no app was refused (a skipped folder is reported), 1 when any was. The report
// file is opened before any manifest is written, so that an unwritable one fails up front.
import { open, realpath } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import path from 'node:path'

import { UsageError, ValidationError } from '../../errors.js'
import { describeFsError } from '../../fs/make-directory.js'
import { checkIdPrefix, importUmbrelApps } from '../../import/umbrel/import-umbrel.js'
import { renderReport } from '../../import/umbrel/report.js'
import type { AppImport } from '../../import/umbrel/report.js'
import { writeImportedApps } from '../../import/umbrel/write-output.js'
import { flagOption, stringOption } from '../command.js'
import type { CommandInput, CommandSpec } from '../command.js'

const FORMATS = ['umbrel']

export const commands: CommandSpec[] = [
  {
    noun: 'app',
    verb: 'import',
    summary: 'convert Umbrel apps (one, or a store checkout) into manifests, with a report',
    args: 'umbrel DIR',
    minArgs: 2,
    maxArgs: 2,
    options: {
      out: {
        type: 'string',
        description: 'directory for the manifests (required)',
        valueName: 'DIR',
      },
      report: {
        type: 'string',
        description: 'write the report to FILE (outside --out) instead of standard output',
        valueName: 'FILE',
      },
      'id-prefix': {
        type: 'string',
        description: 'put PREFIX before every app id, e.g. umbrel- for umbrel-immich',
        valueName: 'PREFIX',
      },
      json: { type: 'boolean', description: 'print the report as JSON' },
    },
    run: runImport,
  },
]

async function runImport(input: CommandInput): Promise<number> {
  const [format = '', dir = ''] = input.positionals
  if (!FORMATS.includes(format)) {
    throw new UsageError(
      `"app import" takes a format first: ${FORMATS.join(', ')} (got "${format}")`,
    )
  }
  const out = stringOption(input, 'out')
  if (!out) throw new UsageError('"app import" needs --out DIR')
  const idPrefix = stringOption(input, 'id-prefix') ?? ''
  const prefixProblem = checkIdPrefix(idPrefix)
  if (prefixProblem) throw new UsageError(`--id-prefix: ${prefixProblem}`)
  const report = stringOption(input, 'report')
  if (report !== undefined && isInside(await resolveReal(report), await resolveReal(out))) {
    throw new UsageError(`--report ${report} is inside --out ${out}; write it elsewhere`)
  }

  const apps = await importUmbrelApps(dir, { idPrefix })
  const handle = report === undefined ? undefined : await openReport(report)
  try {
    return await writeAndReport(input, { out, report, handle, apps })
  } finally {
    await handle?.close()
  }
}

interface ReportTarget {
  out: string
  report: string | undefined
  handle: FileHandle | undefined
  apps: AppImport[]
}

async function writeAndReport(input: CommandInput, target: ReportTarget): Promise<number> {
  const { out, report, handle, apps } = target
  const written = await writeImportedApps(out, apps)
  const text = flagOption(input, 'json')
    ? JSON.stringify({ apps: apps.map(({ manifests, ...rest }) => ({ ...rest,
        files: manifests.map((m) => m.file) })) }, null, 2) // prettier-ignore
    : renderReport(apps)
  if (handle === undefined) input.io.out(text)
  else {
    try {
      await handle.writeFile(text)
    } catch (error) {
      const reason = describeFsError(error)
      throw new ValidationError('--report', `cannot write ${report}: ${reason}`, { cause: error })
    }
    input.io.err(`report written to ${report}; ${written.length} manifests under ${out}`)
  }
  return apps.some((app) => app.status === 'refused') ? 1 : 0
}

async function openReport(report: string): Promise<FileHandle> {
  try {
    return await open(report, 'w')
  } catch (error) {
    const reason = describeFsError(error)
    throw new ValidationError('--report', `cannot write ${report}: ${reason}`, { cause: error })
  }
}

/** The real path of `file`: its nearest existing ancestor's, links resolved, and the rest. */
async function resolveReal(file: string): Promise<string> {
  const absolute = path.resolve(file)
  const rest: string[] = []
  for (let at = absolute; ; at = path.dirname(at)) {
    const real = await realpath(at).catch(() => undefined)
    if (real !== undefined) return path.join(real, ...rest.reverse())
    if (at === path.dirname(at)) return absolute
    rest.push(path.basename(at))
  }
}

function isInside(file: string, dir: string): boolean {
  const relative = path.relative(dir, file)
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))
}
