// checkStateInMounts: what Quadlet's recreate on every start would lose is refused before an
// install in quadlet mode changes anything: a writable root when moving there, and an image
// VOLUME no manifest mount covers (read through the driver from `podman image inspect`).
import { describe, expect, it } from 'vitest'

import { buildContainerSpec, type NodeContext } from '../../node-agent/container-spec.js'
import { createStubExec } from '../../node-agent/exec.js'
import { checkStateInMounts } from '../../node-agent/install-checks.js'
import { createPodman } from '../../node-agent/podman.js'
import type { AppManifest, Volume } from '../../src/manifest/types.js'
import { buildTestManifest } from '../support/quadlet.js'

const context: NodeContext = { dataRoot: '/srv/archy', values: {} }
const data = '/var/lib/archipelago/vault'

interface Case {
  name: string
  volumes: Volume[]
  /** What `podman image inspect --format {{json .Config.Volumes}}` prints. */
  declared: string
  readonlyRoot?: boolean
  moving?: boolean
  /** The refusal, or null when the install may go on. */
  error: string | null
}

const cases: Case[] = [
  { name: 'an image without VOLUMEs', volumes: [], declared: 'null', error: null },
  {
    name: 'a VOLUME under a bind mount',
    volumes: [{ type: 'bind', source: `${data}/db`, target: '/data', options: [] }],
    declared: '{"/data":{}}',
    error: null,
  },
  {
    name: 'a VOLUME under a named volume, written with a trailing slash',
    volumes: [{ type: 'volume', source: 'vault-cache', target: '/cache', options: [] }],
    declared: '{"/cache/":{}}',
    error: null,
  },
  {
    name: 'a VOLUME under a tmpfs',
    volumes: [{ type: 'tmpfs', target: '/run/app', options: [] }],
    declared: '{"/run/app":{}}',
    error: null,
  },
  {
    name: 'a VOLUME with no mount',
    volumes: [],
    declared: '{"/var/lib/db":{}}',
    error:
      'vault: app.volumes: has no mount at /var/lib/db, which the image declares as a VOLUME: ' +
      "Quadlet's recreate on every start would delete the anonymous volume Podman makes there; " +
      'add a bind mount or named volume with target /var/lib/db, or install with --mode podman',
  },
  {
    name: 'a VOLUME whose parent alone is mounted',
    volumes: [{ type: 'bind', source: `${data}/var`, target: '/var', options: [] }],
    declared: '{"/var":{},"/var/lib/db":{}}',
    error: 'vault: app.volumes: has no mount at /var/lib/db,',
  },
  {
    name: 'a VOLUME whose child alone is mounted',
    volumes: [{ type: 'bind', source: `${data}/db`, target: '/data/db', options: [] }],
    declared: '{"/data":{}}',
    error: 'vault: app.volumes: has no mount at /data,',
  },
  {
    name: 'a writable root when moving from podman mode',
    volumes: [],
    declared: 'null',
    readonlyRoot: false,
    moving: true,
    error: 'vault: app.security.readonly_root: is false,',
  },
  {
    name: 'a writable root on a first install in quadlet mode',
    volumes: [],
    declared: 'null',
    readonlyRoot: false,
    error: null,
  },
]

describe('checkStateInMounts', () => {
  for (const c of cases) {
    it(`${c.error === null ? 'accepts' : 'refuses'} ${c.name}`, async () => {
      const manifest: AppManifest = buildTestManifest('vault', {
        volumes: c.volumes,
        security: {
          capabilities: [],
          readonly_root: c.readonlyRoot ?? true,
          no_new_privileges: true,
          network_policy: 'isolated',
        },
      })
      const { spec } = buildContainerSpec(manifest, context, { labels: {} })
      // A writable root is refused before any image is asked about.
      const asksImage = !(c.moving && c.readonlyRoot === false)
      const inspect = ['image', 'inspect', '--format', '{{json .Config.Volumes}}', spec.image]
      const stub = createStubExec(
        asksImage
          ? [{ command: 'podman', args: inspect, result: { stdout: `${c.declared}\n` } }]
          : [],
      )
      const check = checkStateInMounts(createPodman({ exec: stub }), [{ manifest, spec }], {
        moving: c.moving ?? false,
      })
      if (c.error === null) await check
      else await expect(check).rejects.toThrow(c.error)
      stub.assertAllUsed()
      for (const call of stub.calls) expect(call.options.timeoutMs).toBeGreaterThan(0)
    })
  }

  it('fails naming the command when Podman answers something else', async () => {
    const manifest = buildTestManifest('vault')
    const { spec } = buildContainerSpec(manifest, context, { labels: {} })
    const stub = createStubExec([
      { command: 'podman', args: (args) => args[1] === 'inspect', result: { stdout: '["/data"]' } },
    ])
    await expect(
      checkStateInMounts(createPodman({ exec: stub }), [{ manifest, spec }], { moving: false }),
    ).rejects.toThrow(
      /podman image inspect registry\.example\/vault:1\.0\.0: expected JSON volumes/,
    )
  })
})
