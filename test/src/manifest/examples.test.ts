// The example apps under examples/apps validate as documented, the broken one with its
// exact list of problems, and the generated JSON Schema accepts the valid ones.
import { Ajv2020 } from 'ajv/dist/2020.js'
import { describe, expect, it } from 'vitest'

import { manifestJsonSchema } from '../../../src/manifest/json-schema.js'
import { loadManifestFile } from '../../../src/manifest/load.js'
import { validateManifest, validateManifestSet } from '../../../src/manifest/validate.js'

const EXAMPLES = 'examples/apps'
const valid = [
  `${EXAMPLES}/hello-web/manifest.yml`,
  `${EXAMPLES}/notes/manifest.yml`,
  `${EXAMPLES}/notes/notes-api.manifest.yml`,
]

describe('example apps', () => {
  it('validates hello-web and the notes stack without any problem', async () => {
    const documents = await Promise.all(valid.map((file) => loadManifestFile(file)))
    const { checks } = validateManifestSet(documents, { strict: true })
    expect(checks.map((check) => check.problems)).toEqual([[], [], []])
    const [hello, web, api] = checks.map((check) => check.manifest!)
    expect(hello?.files[0]?.content).toContain('Hello from Archipelago')
    expect(web?.files.map((file) => [file.path, file.mode])).toEqual([
      ['/var/lib/archipelago/notes-web/www/index.html', '0644'],
      ['/var/lib/archipelago/notes-web/www/cgi-bin/value', '0755'],
    ])
    expect(web?.files[1]?.content).toBe(
      "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\n" +
        'wget -q -O - http://api:8081/value\n',
    )
    expect(api?.hooks.post_install).toEqual([
      {
        exec: {
          command: [
            'sh',
            '-c',
            'printf "value-%s\\n" "$(printf %s "$NOTES_TOKEN" | ' +
              'sha256sum | cut -c1-16)" > /data/value',
          ],
        },
      },
    ])
  })

  it('reports every problem of the broken app, in document order', async () => {
    const document = await loadManifestFile(`${EXAMPLES}/broken/manifest.yml`)
    const check = validateManifest(document)
    expect(check.manifest).toBeUndefined()
    expect(
      check.problems.map(
        (p) => `${p.severity === 'warning' ? 'warning: ' : ''}${p.path}: ${p.message}`,
      ),
    ).toEqual([
      'app.container.image: "example/media-box:latest" is not pinned: "latest" is ' +
        'refused, use a version tag or an @sha256 digest',
      'app.container.privileged: privileged containers are refused: rootless Podman only',
      'app.container.derived_env[0].template: unknown placeholder {{PUBLIC_PORT}}',
      'app.security.capabilities[1]: capability SYS_ADMIN is outside the rootless ' +
        'default set (CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, NET_BIND_SERVICE, ' +
        'SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT)',
      'app.ports[0].host: port 80 is below 1024 and rootless Podman cannot bind it',
      'app.ports[1].auth: auth "open" needs an auth_rationale',
      'app.volumes[1].source: host path "/etc" is refused: a bind source must be ' +
        'under /var/lib/archipelago/media-box (or, read-only, under the directory of ' +
        'a declared dependency)',
      'app.volumes[2].source: socket "/var/run/docker.sock" is refused: apps never ' +
        "get the container engine's or any host socket",
      'warning: app.helth_check: unknown key "helth_check"; did you mean "health_check"?',
    ])
  })
})

describe('manifestJsonSchema', () => {
  // The schema declares draft 2020-12, which Ajv reads as published (no rewriting).
  const ajv = new Ajv2020({ allErrors: true, strict: false })
  const validate = ajv.compile(manifestJsonSchema())

  it.each(valid)('accepts %s', async (file) => {
    const document = await loadManifestFile(file)
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true)
  })

  it('refuses a document without the required keys or with wrong types', () => {
    expect(validate({ app: { id: 'x', name: 'x', version: '1.0.0' } })).toBe(false)
    expect(
      validate({ app: { id: 'x', name: 'x', version: '1.0.0', container: { image: 1 } } }),
    ).toBe(false)
    expect(
      validate({ app: { id: 'x', name: 'x', version: '1.0.0', container: { image: 'a:1' } } }),
    ).toBe(true)
  })

  it('describes what an author writes: sizes and durations as strings, with defaults', () => {
    const text = JSON.stringify(manifestJsonSchema())
    expect(manifestJsonSchema().$schema).toBe('https://json-schema.org/draft/2020-12/schema')
    expect(text).toContain('"default":"30s"')
    expect(text).toContain('"default":"archy-net"')
    expect(text).toContain('"enum":["if-not-present","always","never"]')
  })
})
