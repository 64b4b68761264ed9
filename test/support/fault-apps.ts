// The apps of the agent's fault tests, under `flt-` names and host ports 28200-28219 so they never
// meet another Podman test: a one-container web app in any version (healthy; broken: its host
// port is taken, so its `podman run` fails; or unhealthy: its health check asks for a missing
// page) and the notes example stack in any version.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

import type { Exec } from '../../node-agent/exec.js'

export const FLT_PORTS = { web: 28200, notes: 28201, misbehaving: 28202, taken: 28219 }
export const FLT_NETWORKS = ['flt-net', 'flt-notes-net']
export const FLT_SECRET = 'archy.flt-notes-api.flt-notes-token'

const EXAMPLES = path.resolve('examples/apps')

export interface FaultAppNames {
  id: string
  port: number
  network: string
}

const WEB: FaultAppNames = { id: 'flt-web', port: FLT_PORTS.web, network: 'flt-net' }

/** Writes the web app at `version` into its own folder under `dir`; returns its manifest. */
export function writeFaultApp(
  dir: string,
  version: string,
  kind: 'healthy' | 'broken' | 'unhealthy',
  names: FaultAppNames = WEB,
): string[] {
  const { id } = names
  const folder = path.join(dir, id, version)
  mkdirSync(folder, { recursive: true })
  copyFileSync(path.join(EXAMPLES, 'hello-web', 'image.tar'), path.join(folder, 'image.tar'))
  const port = kind === 'broken' ? FLT_PORTS.taken : names.port
  const healthPath = kind === 'unhealthy' ? '/missing' : '/'
  const manifest = `app:
  id: ${id}
  name: Fault test web
  version: ${version}
  container:
    image: file:image.tar
    network: ${names.network}
    command: [sh, -c, 'trap "exit 0" TERM; httpd -f -p 8080 -h /www & wait']
    data_uid: 1000
  ports:
    - { host: ${port}, container: 8080 }
  volumes:
    - { type: bind, source: /var/lib/archipelago/${id}/www, target: /www, options: [rw] }
  files:
    - { path: /var/lib/archipelago/${id}/www/index.html, content: "fault page\\n" }
  health_check: { type: http, endpoint: http://localhost:8080, path: ${healthPath},
                  interval: 1s, timeout: 2s, retries: 2 }
`
  const file = path.join(folder, 'manifest.yml')
  writeFileSync(file, manifest)
  return [file]
}

/** Writes the notes stack as flt-notes-web and flt-notes-api at `version`; primary first. */
export function writeFaultStack(dir: string, version: string): string[] {
  const folder = path.join(dir, 'flt-notes', version)
  mkdirSync(folder, { recursive: true })
  copyFileSync(path.join(EXAMPLES, 'notes', 'image.tar'), path.join(folder, 'image.tar'))
  return ['manifest.yml', 'notes-api.manifest.yml'].map((name) => {
    const text = readFileSync(path.join(EXAMPLES, 'notes', name), 'utf8')
      .replaceAll('notes-', 'flt-notes-')
      .replaceAll('18081', String(FLT_PORTS.notes))
      .replace('  version: 1.0.0\n', `  version: ${version}\n`)
    const file = path.join(folder, name)
    writeFileSync(file, text)
    return file
  })
}

/**
 * Removes the image names the agent tagged for these apps (`localhost/archy/<id>:<version>`),
 * and only theirs, since another test file may be using its own: each is one more name of an
 * image that other names keep (`rmi` of a name only untags it then).
 */
export async function removeFaultImageNames(asUser: Exec, appIds: string[]): Promise<void> {
  const listed = await asUser('podman', ['images', '--format', '{{.Repository}}:{{.Tag}}'])
  const ours = (name: string) => appIds.some((id) => name.startsWith(`localhost/archy/${id}:`))
  const names = listed.stdout.split('\n').filter(ours)
  if (names.length > 0) await asUser('podman', ['rmi', ...names], { allowFailure: true })
}
