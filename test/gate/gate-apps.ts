// The gate's own copies of the example apps: ids, network, ports and paths under a `gate-`
// prefix, so the gate never touches what the e2e tests or a user run (hello-web, 18080, archy-net).
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface GateApp {
  /** The app installed, the stack's primary for a stack. */
  id: string
  /** Every container of the app, dependencies first. */
  containers: string[]
  /** Its page; `check` judges the body. */
  url: string
  /** A folder under the data root that must survive everything but purge. */
  dataDir: string
  /** A generated secret's file under the state directory, when the app has one. */
  secretFile?: string
  check(body: string, secret: string | undefined): boolean
}

export const GATE_NETWORKS = ['gate-net', 'gate-notes-net']
export const GATE_SECRETS = ['archy.gate-notes-api.gate-notes-token']

export const GATE_APPS: GateApp[] = [
  {
    id: 'gate-hello-web',
    containers: ['gate-hello-web'],
    url: 'http://127.0.0.1:28080/',
    dataDir: 'gate-hello-web/www',
    check: (body) => body.includes('Hello from Archipelago'),
  },
  {
    id: 'gate-notes-web',
    containers: ['gate-notes-api', 'gate-notes-web'],
    url: 'http://127.0.0.1:28081/cgi-bin/value',
    dataDir: 'gate-notes-api/data',
    secretFile: 'secrets/gate-notes-api/gate-notes-token',
    check: (body, secret) => secret !== undefined && body.trim() === notesValue(secret),
  },
]

/** What notes-api's post_install hook derives from its secret: `value-<16 hex of sha256>`. */
function notesValue(secret: string): string {
  return `value-${createHash('sha256').update(secret).digest('hex').slice(0, 16)}`
}

/**
 * Writes the renamed examples into `dir`; returns the manifest lists to publish, one per app.
 * `prefix` and `portBase` keep other Podman tests apart (fault injection uses `fault`, 38000).
 */
export function writeGateExamples(
  examples: string,
  dir: string,
  prefix = 'gate',
  portBase = 28000,
): string[][] {
  const rename = (text: string): string =>
    text
      .replaceAll('hello-web', `${prefix}-hello-web`)
      .replaceAll('notes-', `${prefix}-notes-`)
      .replaceAll('18080', String(portBase + 80))
      .replaceAll('18081', String(portBase + 81))
  const copy = (from: string, to: string, extra?: (text: string) => string): string[] => {
    mkdirSync(join(dir, to), { recursive: true })
    const manifests: string[] = []
    for (const file of readdirSync(join(examples, from)).sort()) {
      const target = join(dir, to, file)
      if (!file.endsWith('.yml')) {
        copyFileSync(join(examples, from, file), target)
        continue
      }
      const text = rename(readFileSync(join(examples, from, file), 'utf8'))
      writeFileSync(target, extra ? extra(text) : text)
      manifests.push(target)
    }
    // The primary manifest first, as `archy publish` wants.
    return manifests.sort(
      (a, b) => Number(b.endsWith('/manifest.yml')) - Number(a.endsWith('/manifest.yml')),
    )
  }
  const ownNetwork = (text: string): string =>
    text.replace(
      '    image: file:image.tar\n',
      `    image: file:image.tar\n    network: ${prefix}-net\n`,
    )
  return [copy('hello-web', `${prefix}-hello-web`, ownNetwork), copy('notes', `${prefix}-notes`)]
}
