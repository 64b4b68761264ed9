// How the importer converts ports, mounts, health checks and ids on small made-up apps, and
// which member owns a data path shared by services or apps.
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

import { describe, expect, it } from 'vitest'

import { importUmbrelApps } from '../../../../src/import/umbrel/import-umbrel.js'
import {
  IMAGE,
  importApp,
  makeStore,
  member,
  notes,
  primary,
  proxy,
  root,
  side,
  web,
} from './umbrel-rules-fixture.js'

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
    const { store, write } = makeStore('owners')
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
