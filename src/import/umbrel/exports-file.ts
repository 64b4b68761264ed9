// Values an app's exports.sh publishes, read as text and never run: only top-level
// `export NAME="literal"` lines assigned once count, and `${EXPORTS_APP_DIR}/x` for a data
// directory. Anything computed ($(...), other variables, conditionals) stays without a value,
// and so do static IP addresses, which mean nothing on an Archipelago node.
import { isIP } from 'node:net'

export interface ExportedValues {
  /** NAME -> literal value. */
  values: Map<string, string>
  /** NAME -> a directory inside the exporting app's data directory. */
  dataDirs: Map<string, { app: string; path: string }>
}

const EXPORT_LINE = /^export ([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|'([^']*)'|([^\s"'`;|&]*))\s*$/
const APP_DIR = /^\$\{?EXPORTS_APP_DIR\}?(?:\/(.*))?$/

/** Parses exports.sh text of the app `umbrelId`. */
export function parseExports(text: string, umbrelId: string): ExportedValues {
  const seen = new Map<string, number>()
  const raw = new Map<string, string>()
  for (const line of text.split('\n')) {
    const name = /^\s*export ([A-Za-z_][A-Za-z0-9_]*)=/.exec(line)?.[1]
    if (name !== undefined) seen.set(name, (seen.get(name) ?? 0) + 1)
    const match = EXPORT_LINE.exec(line)
    if (match) raw.set(match[1]!, match[2] ?? match[3] ?? match[4] ?? '')
  }

  const result: ExportedValues = { values: new Map(), dataDirs: new Map() }
  for (const [name, value] of raw) {
    // Assigned twice (an if/else, say): which one applies is decided when the script runs.
    if (seen.get(name) !== 1) continue
    const dir = APP_DIR.exec(value)
    if (dir) {
      const path = (dir[1] ?? '').replace(/\/+$/, '')
      if (!path.includes('$') && !path.split('/').includes('..')) {
        result.dataDirs.set(name, { app: umbrelId, path })
      }
      continue
    }
    if (value.includes('$') || value.includes('`') || isIP(value) !== 0) continue
    result.values.set(name, value)
  }
  return result
}
