// The importer's refusals on small made-up apps: compose keys and umbrel-app.yml fields that
// refuse an app, and unsafe side services and mounts that are left out for a decision.
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

import { describe, expect, it } from 'vitest'

import { importUmbrelApps } from '../../../../src/import/umbrel/import-umbrel.js'
import {
  importApp,
  makeDir,
  notes,
  primary,
  proxy,
  root,
  side,
  web,
} from './umbrel-rules-fixture.js'

describe('what refuses an app', () => {
  it.each([
    ['privileged', '    privileged: true\n', 'service web, privileged: privileged mode is refused'],
    [
      'host networking',
      '    network_mode: host\n',
      'service web, network_mode: host networking is refused: apps never share the host network',
    ],
    [
      'a Docker socket',
      '    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n',
      'service web, volumes[0]: the host socket or runtime path "/var/run/docker.sock" is refused',
    ],
    [
      'a device',
      '    devices:\n      - /dev/ttyUSB0:/dev/ttyUSB0\n',
      'service web, devices: devices are refused',
    ],
    [
      'a capability outside the allowlist',
      '    cap_add: [NET_ADMIN]\n',
      'service web, cap_add: NET_ADMIN is outside the rootless default capability set (CHOWN, ' +
        'DAC_OVERRIDE, FOWNER, FSETID, KILL, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, ' +
        'SYS_CHROOT)',
    ],
    [
      'a security option',
      '    security_opt: [seccomp:unconfined]\n',
      'service web, security_opt: seccomp:unconfined is refused',
    ],
    [
      'a PID namespace',
      '    pid: host\n',
      'service web, pid: sharing a PID namespace ("host") is refused',
    ],
    [
      'an IPC namespace',
      '    ipc: host\n',
      'service web, ipc: sharing an IPC namespace ("host") is refused',
    ],
    [
      'a user namespace mode',
      '    userns_mode: host\n',
      'service web, userns_mode: a user ' + 'namespace mode is refused',
    ],
    [
      "another container's mounts",
      '    volumes_from: [side]\n',
      "service web, volumes_from: another container's mounts are refused",
    ],
    [
      'the host UTS namespace',
      '    uts: host\n',
      'service web, uts: sharing a UTS namespace ("host") is refused',
    ],
    [
      'the host cgroup namespace',
      '    cgroup: host\n',
      'service web, cgroup: sharing the host cgroup namespace is refused',
    ],
    [
      'a parent cgroup',
      '    cgroup_parent: /system.slice\n',
      'service web, cgroup_parent: placing the container in a cgroup of the host is refused',
    ],
    [
      'OOM killer exemption',
      '    oom_kill_disable: true\n',
      "service web, oom_kill_disable: exempting the container from the host's OOM killer is " +
        'refused',
    ],
    [
      'device cgroup rules',
      "    device_cgroup_rules: ['c 188:* rmw']\n",
      'service web, device_cgroup_rules: rules granting access to host devices are refused',
    ],
  ])('refuses a main service with %s', async (_name, extra, refusal) => {
    const app = await importApp(proxy() + web(extra))
    expect(app.status).toBe('refused')
    expect(notes(app.refusals)).toEqual([refusal])
    expect(app.manifests).toEqual([])
  })

  it('refuses a build step and an unpinned image', async () => {
    const built = await importApp(proxy() + '  web:\n    build: .\n')
    expect(notes(built.refusals)).toEqual([
      'service web, build: build steps are refused: an app ships a pinned image',
    ])
    const latest = await importApp(proxy() + '  web:\n    image: example/web:latest\n')
    expect(notes(latest.refusals)).toEqual([
      'service web, image: "example/web:latest" is not pinned: "latest" is refused, use a ' +
        'version tag or an @sha256 digest',
    ])
  })

  it.each([
    [
      'an id that is no DNS label',
      'id: My_App\n',
      'umbrel-app.yml, id: "My_App" is not a lowercase',
    ],
    [
      'a version that is no SemVer',
      'version: nightly\n',
      'umbrel-app.yml, version: "nightly" is not',
    ],
    ['a UI port below 1024', 'port: 80\n', 'umbrel-app.yml, port: port 80 is outside 1024-65535'],
  ])('refuses %s', async (_name, meta, refusal) => {
    const dir = makeDir('meta')
    const base = { id: 'id: demo\n', version: 'version: "1.0.0"\n', port: 'port: 18500\n' }
    const key = meta.split(':')[0] as keyof typeof base
    const fields = { ...base, [key]: meta }
    writeFileSync(path.join(dir, 'umbrel-app.yml'), `name: Demo\n${Object.values(fields).join('')}`)
    writeFileSync(path.join(dir, 'docker-compose.yml'), `services:\n${proxy()}${web()}`)
    const [app] = await importUmbrelApps(dir)
    expect(app!.status).toBe('refused')
    expect(notes(app!.refusals)[0]).toContain(refusal)
  })

  it('refuses an app without a version or a name, saying the field is required', async () => {
    const dir = makeDir('meta')
    writeFileSync(path.join(dir, 'umbrel-app.yml'), 'id: demo\nport: 18500\n')
    writeFileSync(path.join(dir, 'docker-compose.yml'), `services:\n${proxy()}${web()}`)
    const [app] = await importUmbrelApps(dir)
    expect(notes(app!.refusals)).toEqual([
      "umbrel-app.yml, version: is missing; the field is required (the app's version, written " +
        'as SemVer)',
      'umbrel-app.yml, name: is missing; the field is required',
    ])
  })

  it('refuses an app whose main service is unclear', async () => {
    const unknown = await importApp(proxy('demo_api_1') + web())
    expect(notes(unknown.refusals)).toEqual([
      'app_proxy, APP_HOST: "demo_api_1" names no service of this app (expected ' +
        "<app id>_<service>_1 or a service's ipv4_address variable)",
    ])
    const two = await importApp(web() + side())
    expect(notes(two.refusals)).toEqual([
      'docker-compose.yml, services: there is no app_proxy service and several services, so ' +
        'the main service is unclear',
    ])
  })

  it('refuses an app whose compose file is not YAML, naming the file', async () => {
    const dir = path.join(root, 'broken')
    mkdirSync(dir)
    writeFileSync(path.join(dir, 'umbrel-app.yml'), 'id: broken\nname: B\nversion: "1.0.0"\n')
    writeFileSync(path.join(dir, 'docker-compose.yml'), 'services: [\n')
    const [app] = await importUmbrelApps(dir)
    expect(app!.umbrelId).toBe('broken')
    expect(notes(app!.refusals)[0]).toMatch(/^docker-compose\.yml, file: YAML syntax error at line/)
  })

  it('refuses services that would each start after the other', async () => {
    const app = await importApp(
      proxy() + web('    depends_on: [side]\n') + side('    depends_on: [web]\n'),
    )
    expect(notes(app.refusals)).toEqual([
      'docker-compose.yml, depends_on: services web -> side -> web would each start after ' +
        'the other',
    ])
  })

  it('lists every refusal of an app at once', async () => {
    const app = await importApp(proxy() + web('    privileged: true\n    network_mode: host\n'))
    expect(app.refusals.map((note) => note.key)).toEqual(['privileged', 'network_mode'])
  })
})

describe('what is left out for a decision', () => {
  it('leaves out an unsafe side service, and the dependency on it', async () => {
    const app = await importApp(
      proxy() + web('    depends_on: [side]\n') + side('    privileged: true\n'),
    )
    expect(app.status).toBe('converted')
    expect(notes(app.decisions)).toEqual([
      'service side, privileged: privileged mode is refused; service side is left out',
    ])
    expect(notes(app.leftOut)).toContain(
      'service web, depends_on: service side is not part of the conversion',
    )
    expect(app.manifests.map((m) => m.file)).toEqual(['demo/manifest.yml'])
  })

  it.each([
    ['a Docker socket mount', '    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n',
      'service side, volumes[0]: the host socket or runtime path "/var/run/docker.sock" is ' +
        'refused; service side is left out'],
    ['the host UTS namespace', '    uts: host\n',
      'service side, uts: sharing a UTS namespace ("host") is refused; service side is left out'],
    ['the host cgroup namespace', '    cgroup: host\n',
      'service side, cgroup: sharing the host cgroup namespace is refused; service side is left ' +
        'out'],
  ])('leaves out a side service with %s, converting the app', async (_name, extra, decision) => {
    const app = await importApp(proxy() + web() + side(extra))
    expect(app.status).toBe('converted')
    expect(notes(app.refusals)).toEqual([])
    expect(notes(app.decisions)).toEqual([decision])
    expect(app.manifests.map((m) => m.file)).toEqual(['demo/manifest.yml'])
  }) // prettier-ignore

  it("leaves out host paths and an undeclared app's data, keeping the app", async () => {
    const app = await importApp(
      proxy() +
        web(
          '    volumes:\n      - ${APP_DATA_DIR}/data:/data\n      - /srv/media:/media\n' +
            '      - ${UMBREL_ROOT}/app-data/stranger/x:/x:ro\n',
        ),
    )
    expect(notes(app.decisions)).toEqual([
      'service web, volumes[1]: "/srv/media" is a host path outside the app\'s data directory; ' +
        'the mount is left out',
      'service web, volumes[2]: "${UMBREL_ROOT}/app-data/stranger/x:/x:ro" reads the data of app ' +
        'stranger, which umbrel-app.yml does not declare as a dependency; the mount is left out',
    ])
    expect(primary(app).volumes).toEqual([
      { type: 'bind', source: '/var/lib/archipelago/demo/data', target: '/data' },
    ])
  })

  it("mounts a declared dependency's data read-only, listing a read-write one", async () => {
    const app = await importApp(
      proxy() + web('    volumes:\n      - ${UMBREL_ROOT}/app-data/other/data/keys:/keys\n'),
    )
    expect(primary(app).volumes).toEqual([
      { type: 'bind', source: '/var/lib/archipelago/other/data/keys', target: '/keys',
        options: ['ro'] },
    ]) // prettier-ignore
    expect(notes(app.decisions)).toEqual([
      'service web, volumes[0]: mounted read-only: the data belongs to dependency other, and an ' +
        "app mounts another's data read-only only; the compose file mounts it read-write",
    ])
  })
})
