// The importer's rules on small made-up apps: what refuses an app, what is left out for a
// decision, what is left out and why, and how values, ports, mounts and checks convert.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { importUmbrelApps } from '../../../../src/import/umbrel/import-umbrel.js'
import { formatNote } from '../../../../src/import/umbrel/report.js'
import type { AppImport } from '../../../../src/import/umbrel/report.js'

const root = mkdtempSync(path.join(tmpdir(), 'archy-umbrel-rules-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const IMAGE = 'example/web:1.0.0@sha256:' + 'a'.repeat(64)
let count = 0

/** Writes one app (umbrel-app.yml fields and the compose services) and imports it. */
async function importApp(
  services: string,
  meta = '',
  options: { idPrefix?: string } = {},
): Promise<AppImport> {
  const dir = path.join(root, `app-${(count += 1)}`)
  mkdirSync(dir)
  writeFileSync(
    path.join(dir, 'umbrel-app.yml'),
    `id: demo\nname: Demo\nversion: "1.2.3"\nport: 18500\ndependencies: [other]\n${meta}`,
  )
  writeFileSync(path.join(dir, 'docker-compose.yml'), `version: "3.7"\nservices:\n${services}`)
  const [app] = await importUmbrelApps(dir, options)
  return app!
}

const proxy = (host = 'demo_web_1', port = '8080') =>
  `  app_proxy:\n    environment:\n      APP_HOST: ${host}\n      APP_PORT: ${port}\n`
const web = (extra = '') => `  web:\n    image: ${IMAGE}\n${extra}`
const side = (extra = '') => `  side:\n    image: ${IMAGE}\n${extra}`
const notes = (list: AppImport['refusals']) => list.map(formatNote)
const primary = (app: AppImport) => app.manifests[0]!.document.app as Record<string, any>
const member = (app: AppImport, id: string) =>
  app.manifests.find((m) => m.document.app.id === id)!.document.app as Record<string, any>

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
    const dir = path.join(root, `meta-${(count += 1)}`)
    mkdirSync(dir)
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
    const dir = path.join(root, `meta-${(count += 1)}`)
    mkdirSync(dir)
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

describe('how values convert', () => {
  it.each([
    ['a literal', 'A: plain', { environment: [{ key: 'A', value: 'plain' }] }],
    ['$$ as a dollar sign', 'A: "$$HOME"', { environment: [{ key: 'A', value: '$HOME' }] }],
    ['a default', 'A: "${MISSING:-7}"', { environment: [{ key: 'A', value: '7' }] }],
    ['a number', 'A: 3', { environment: [{ key: 'A', value: '3' }] }],
    ['APP_VERSION', 'A: "v${APP_VERSION}"', { environment: [{ key: 'A', value: 'v1.2.3' }] }],
    ['a placeholder', 'A: "https://${DEVICE_DOMAIN_NAME}/"', {
      derived_env: [{ key: 'A', template: 'https://{{HOST_MDNS}}/' }] }],
    ['a secret', 'A: $APP_SEED', { secret_env: [{ key: 'A', secret_file: 'umbrel-app-seed' }] }],
    ['a host:port', 'A: "side:5432"', { environment: [{ key: 'A', value: 'demo-side:5432' }] }],
    ['a container name', 'A: demo_side_1', { environment: [{ key: 'A', value: 'demo-side' }] }],
  ])('converts %s', async (_name, entry, expected) => {
    const app = await importApp(proxy() + web(`    environment:\n      ${entry}\n`) + side())
    const manifest = primary(app)
    const found = {
      environment: manifest.environment,
      derived_env: manifest.container.derived_env,
      secret_env: manifest.container.secret_env,
    }
    expect(found).toMatchObject(expected)
  }) // prettier-ignore

  it.each([
    ['an unknown variable', 'A: "${TOR_PROXY_IP}:9050"',
      'service web, environment.A: uses $TOR_PROXY_IP, which Umbrel sets at install time and ' +
        'Archipelago has no value for'],
    ['a secret inside text', 'A: "seed=${APP_SEED}"',
      'service web, environment.A: uses the generated secret umbrel-app-seed inside other ' +
        'text; a secret can only be the whole value of a variable'],
    ['a value from the environment', 'A:',
      "service web, environment.A: takes its value from Umbrel's own environment"],
  ])('leaves out %s', async (_name, entry, note) => {
    const app = await importApp(proxy() + web(`    environment:\n      ${entry}\n`))
    expect(notes(app.leftOut)).toContain(note)
    expect(primary(app).environment).toBeUndefined()
  }) // prettier-ignore

  it('leaves out another network mode and keys a manifest has no place for', async () => {
    const app = await importApp(
      proxy() +
        web(
          '    network_mode: "service:side"\n    shm_size: 1g\n    cgroup: private\n' +
            '    oom_kill_disable: false\n    sysctls: { net.core.somaxconn: 1024 }\n',
        ),
    )
    expect(notes(app.leftOut)).toEqual([
      'service web, network_mode: "service:side" has no manifest equivalent; the container ' +
        'joins archy-net',
      'service web, shm_size: a manifest has no equivalent',
      'service web, cgroup: a manifest has no equivalent',
      'service web, oom_kill_disable: a manifest has no equivalent',
      "service web, sysctls: a manifest sets no sysctls; the container keeps the kernel's " +
        'defaults',
    ])
  })

  it('leaves out a command with an unknown variable, so the image command runs', async () => {
    const app = await importApp(proxy() + web('    command: "run --peer=${PEER_IP}"\n'))
    expect(primary(app).container.command).toBeUndefined()
    expect(notes(app.leftOut)).toContain(
      'service web, command: uses $PEER_IP, which Umbrel sets at install time and Archipelago ' +
        "has no value for; the image's own command runs",
    )
  })

  it('splits a command string as Compose does', async () => {
    const app = await importApp(
      proxy() + web(`    command: "./wait-for side:3306 -- nginx -g 'daemon off;'"\n`) + side(),
    )
    expect(primary(app).container.command).toEqual([
      './wait-for', 'demo-side:3306', '--', 'nginx', '-g', 'daemon off;',
    ]) // prettier-ignore
  })
})

describe('how ports, mounts, checks and ids convert', () => {
  it('publishes compose ports rootless Podman can bind and lists the others', async () => {
    const ports =
      '    ports:\n      - "9735:9735"\n      - "127.0.0.1:18600:80/udp"\n      - "80:80"\n' +
      '      - "8080"\n      - "7000-7001:7000-7001"\n      - { target: 53, published: 18553 }\n'
    const app = await importApp(proxy() + web(ports))
    expect(primary(app).ports.map((p: any) => [p.host, p.container, p.protocol, p.bind])).toEqual([
      [18500, 8080, 'tcp', '127.0.0.1'],
      [9735, 9735, 'tcp', '0.0.0.0'],
      [18600, 80, 'udp', '127.0.0.1'],
      [18553, 53, 'tcp', '0.0.0.0'],
    ])
    expect(notes(app.leftOut)).toEqual([
      'service web, ports[2]: host port 80 is below 1024 and rootless Podman cannot bind it',
      'service web, ports[3]: "8080" publishes no host port (Compose would pick a random one)',
      'service web, ports[4]: "7000-7001:7000-7001" is a port range, which a manifest lists ' +
        'port by port',
    ])
  })

  it('gives a shared data path to the service the others start after', async () => {
    const app = await importApp(
      proxy() +
        web('    depends_on: [side]\n    volumes:\n      - ${APP_DATA_DIR}/shared:/shared:ro\n') +
        side('    volumes:\n      - ${APP_DATA_DIR}/shared:/var/shared\n'),
    )
    expect(member(app, 'demo-side').volumes).toEqual([
      { type: 'bind', source: '/var/lib/archipelago/demo-side/shared', target: '/var/shared' },
    ])
    expect(primary(app).volumes).toEqual([
      { type: 'bind', source: '/var/lib/archipelago/demo-side/shared', target: '/shared',
        options: ['ro'] },
    ]) // prettier-ignore
    expect(app.decisions).toEqual([])
  })

  it.each([
    ['the one that mounts it read-write', '/shared:/shared:ro', '/shared:/shared', 'shared'],
    ['the one named as its last segment', '/side:/data', '/side:/data', 'side'],
  ])('gives a shared data path no service starts after to %s', async (_name, a, b, dir) => {
    const app = await importApp(
      proxy() +
        web(`    volumes:\n      - \${APP_DATA_DIR}${a}\n`) +
        side(`    volumes:\n      - \${APP_DATA_DIR}${b}\n`),
    )
    const source = `/var/lib/archipelago/demo-side/${dir}`
    expect(member(app, 'demo-side').volumes).toEqual([{ type: 'bind', source,
      target: b.split(':')[1] }]) // prettier-ignore
    expect(primary(app).volumes).toEqual([
      { type: 'bind', source, target: a.split(':')[1], options: ['ro'] },
    ])
    expect(primary(app).dependencies).toContainEqual({ app_id: 'demo-side' })
  })

  it('keeps a shared data path with the first service when nothing else tells', async () => {
    const volumes = '    volumes:\n      - ${APP_DATA_DIR}/shared:/shared\n'
    const app = await importApp(proxy() + web(volumes) + side(volumes))
    expect(member(app, 'demo-side').volumes).toEqual([
      { type: 'bind', source: '/var/lib/archipelago/demo/shared', target: '/shared',
        options: ['ro'] },
    ]) // prettier-ignore
    expect(notes(app.decisions)).toEqual([
      'service side, volumes[0]: mounted read-only: the data belongs to member demo (service ' +
        "web), and an app mounts another's data read-only only; the compose file mounts it " +
        'read-write',
    ])
  })

  it("mounts another app's data from the member that owns it", async () => {
    const store = path.join(root, 'owners')
    const write = (app: string, file: string, text: string) => {
      mkdirSync(path.join(store, app), { recursive: true })
      writeFileSync(path.join(store, app, file), text)
    }
    write('node', 'umbrel-app.yml', 'id: node\nname: Node\nversion: "1.0.0"\nport: 18700\n')
    write('node', 'docker-compose.yml', 'services:\n' + proxy('node_web_1') +
      web('    volumes: ["${APP_DATA_DIR}/chain:/chain"]\n') +
      '  chain:\n' + `    image: ${IMAGE}\n    volumes: ["\${APP_DATA_DIR}/chain:/data"]\n`,
    ) // prettier-ignore
    const walletMeta = 'id: wallet\nname: Wallet\nversion: "1.0.0"\nport: 18701\n'
    write('wallet', 'umbrel-app.yml', `${walletMeta}dependencies: [node]\n`)
    write('wallet', 'docker-compose.yml', 'services:\n' + proxy('wallet_web_1') +
      web('    volumes: ["${UMBREL_ROOT}/app-data/node/chain/keys:/keys:ro"]\n'),
    ) // prettier-ignore

    const [, wallet] = await importUmbrelApps(store)
    expect(primary(wallet!).volumes).toEqual([
      { type: 'bind', source: '/var/lib/archipelago/node-chain/chain/keys', target: '/keys',
        options: ['ro'] },
    ]) // prettier-ignore
    expect(primary(wallet!).dependencies).toEqual([{ app_id: 'node-chain' }, { app_id: 'node' }])
  })

  it("mounts Lightning's LND data from its lnd member when Lightning is not imported", async () => {
    const dir = path.join(root, 'lnd-wallet')
    mkdirSync(dir)
    const meta = 'id: lnd-wallet\nname: W\nversion: "1.0.0"\nport: 18702\n'
    writeFileSync(path.join(dir, 'umbrel-app.yml'), `${meta}dependencies: [lightning]\n`)
    writeFileSync(path.join(dir, 'docker-compose.yml'), 'services:\n' +
      proxy('lnd-wallet_web_1') + web('    volumes: ["${APP_LIGHTNING_NODE_DATA_DIR}:/lnd:ro"]\n'),
    ) // prettier-ignore
    const [app] = await importUmbrelApps(dir)
    expect(primary(app!).volumes).toEqual([
      { type: 'bind', source: '/var/lib/archipelago/lightning-lnd/data/lnd', target: '/lnd',
        options: ['ro'] },
    ]) // prettier-ignore
    expect(primary(app!).dependencies).toEqual([
      { app_id: 'lightning-lnd' },
      { app_id: 'lightning' },
    ])
  })

  it('lists mount options a manifest cannot carry, in either syntax', async () => {
    const volumes =
      '    volumes:\n      - ${APP_DATA_DIR}/a:/a:ro,z\n' +
      '      - { type: bind, source: "${APP_DATA_DIR}/b", target: /b, read_only: true,\n' +
      '          bind: { propagation: rslave } }\n' +
      '      - { type: volume, source: cache, target: /cache, volume: { nocopy: true } }\n'
    const app = await importApp(proxy() + web(volumes))
    expect(notes(app.leftOut)).toEqual([
      'service web, volumes[0]: options z dropped (a manifest mount takes only ro)',
      'service web, volumes[1]: options bind.propagation=rslave dropped (a manifest mount takes ' +
        'only ro)',
      'service web, volumes[2]: options volume.nocopy=true dropped (a manifest mount takes only ' +
        'ro)',
    ])
    expect(primary(app).volumes).toHaveLength(3)
  })

  it("lists app_proxy's other settings as left out", async () => {
    const settings =
      '      PROXY_AUTH_WHITELIST: "/api/*"\n      PROXY_AUTH_BLACKLIST: "/admin/*"\n'
    const app = await importApp(proxy() + settings + web())
    expect(notes(app.leftOut)).toEqual([
      "app_proxy, PROXY_AUTH_WHITELIST: paths Umbrel's app proxy serves without its login; the " +
        "UI port's auth covers every path",
      "app_proxy, PROXY_AUTH_BLACKLIST: paths Umbrel's app proxy puts behind its login; the UI " +
        "port's auth covers every path",
    ])
  })

  it('converts volumes, tmpfs, read_only, cap_drop and health checks', async () => {
    const app = await importApp(
      proxy() +
        web(
          '    read_only: true\n    cap_drop: [ALL]\n    cap_add: [CHOWN]\n' +
            '    security_opt: [no-new-privileges:true]\n    tmpfs: [/run]\n' +
            '    volumes:\n      - cache:/cache\n    healthcheck:\n' +
            '      test: ["CMD-SHELL", "wget -q -O- localhost:8080"]\n      interval: 1m30s\n',
        ),
    )
    const manifest = primary(app)
    expect(manifest.security).toEqual({ capabilities: ['CHOWN'], readonly_root: true })
    expect(manifest.volumes).toEqual([
      { type: 'volume', source: 'cache', target: '/cache' },
      { type: 'tmpfs', target: '/run' },
    ])
    expect(manifest.health_check).toEqual({
      type: 'exec', command: ['sh', '-c', 'wget -q -O- localhost:8080'], interval: '1m30s',
    }) // prettier-ignore
  })

  it('puts the prefix before every id and every reference to one', async () => {
    const app = await importApp(
      proxy() + web('    depends_on: [side]\n    environment:\n      DB: demo_side_1\n') + side(),
      '',
      { idPrefix: 'umbrel-' },
    )
    expect(app.manifests.map((m) => m.file)).toEqual([
      'umbrel-demo/manifest.yml',
      'umbrel-demo/umbrel-demo-side.manifest.yml',
    ])
    expect(primary(app).dependencies).toEqual([
      { app_id: 'umbrel-demo-side' },
      { app_id: 'umbrel-other' },
    ])
    expect(primary(app).environment).toEqual([{ key: 'DB', value: 'umbrel-demo-side' }])
    expect(primary(app).container.image).toBe(`docker.io/${IMAGE}`)
  })
})

describe("an app's exports.sh", () => {
  const EXPORTS = `export APP_NODE_IP="10.21.21.8"
export APP_NODE_RPC_PORT="8332"
export APP_NODE_UI_PORT=3000
export APP_NODE_DATA_DIR="\${EXPORTS_APP_DIR}/data/chain"
export APP_NODE_RPC_PASS="$(derive_entropy rpc)"
if [[ "$NET" == "test" ]]; then
  export APP_NODE_NETWORK="testnet"
else
  export APP_NODE_NETWORK="mainnet"
fi
`
  const NODE = `services:
  app_proxy:
    environment: { APP_HOST: $APP_NODE_IP, APP_PORT: $APP_NODE_UI_PORT }
  app:
    image: ${IMAGE}
    volumes: ["\${APP_DATA_DIR}/data:/data"]
    networks: { default: { ipv4_address: $APP_NODE_IP } }
`
  const WALLET = `services:
  app_proxy:
    environment: { APP_HOST: wallet_web_1, APP_PORT: 8080 }
  web:
    image: ${IMAGE}
    volumes: ["\${APP_NODE_DATA_DIR}:/chain:ro"]
    environment:
      NODE_RPC: "http://$APP_NODE_IP:$APP_NODE_RPC_PORT"
      NODE_PASS: $APP_NODE_RPC_PASS
      NODE_NETWORK: $APP_NODE_NETWORK
`

  it('gives its literal values to the app and its dependents, never running it', async () => {
    const store = path.join(root, 'store')
    const write = (app: string, file: string, text: string) => {
      mkdirSync(path.join(store, app), { recursive: true })
      writeFileSync(path.join(store, app, file), text)
    }
    write('node', 'umbrel-app.yml', 'id: node\nname: Node\nversion: "1.0.0"\nport: 18700\n')
    write('node', 'docker-compose.yml', NODE)
    write('node', 'exports.sh', EXPORTS)
    const walletMeta = 'id: wallet\nname: Wallet\nversion: "1.0.0"\nport: 18701\n'
    write('wallet', 'umbrel-app.yml', `${walletMeta}dependencies: [node]\n`)
    write('wallet', 'docker-compose.yml', WALLET)

    const [node, wallet] = await importUmbrelApps(store)
    expect(node!.status).toBe('converted')
    // APP_PORT comes from exports.sh; the static address is the service's host name instead.
    expect(primary(node!).ports[0]).toMatchObject({ host: 18700, container: 3000 })
    const app = primary(wallet!)
    expect(app.environment).toEqual([{ key: 'NODE_RPC', value: 'http://node:8332' }])
    expect(app.volumes).toEqual([
      { type: 'bind', source: '/var/lib/archipelago/node/data/chain', target: '/chain',
        options: ['ro'] },
    ]) // prettier-ignore
    // Computed ($(...)) and conditionally assigned values have none.
    expect(notes(wallet!.leftOut)).toEqual(
      expect.arrayContaining([
        'service web, environment.NODE_PASS: uses $APP_NODE_RPC_PASS, which Umbrel sets at ' +
          'install time and Archipelago has no value for',
        'service web, environment.NODE_NETWORK: uses $APP_NODE_NETWORK, which Umbrel sets at ' +
          'install time and Archipelago has no value for',
      ]),
    )
  })
})
