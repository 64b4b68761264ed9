// The importer on the fifteen verbatim Umbrel apps: which convert (each to manifests that pass
// `archy app validate --strict` and whose Quadlet units pass the real generator's -dryrun),
// which are refused and with exactly which refusals, and what needs a decision.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'

import { formatNote } from '../../../../src/import/umbrel/report.js'
import type { AppImport } from '../../../../src/import/umbrel/report.js'
import { runCli } from '../../../support/cli.js'
import {
  QUADLET_MISSING,
  findQuadlet,
  runQuadletDryRun,
  splitDryRunOutput,
} from '../../../support/quadlet.js'
import { UMBREL_APPS } from '../../../support/umbrel-apps.js'

const CONVERTED: Record<string, string[]> = {
  bitcoin: ['bitcoin', 'bitcoin-tor', 'bitcoin-i2pd-daemon'],
  'btcpay-server': ['btcpay-server', 'btcpay-server-nbxplorer', 'btcpay-server-postgres'],
  electrs: ['electrs', 'electrs-electrs', 'electrs-tor'],
  immich: ['immich', 'immich-machine-learning', 'immich-redis', 'immich-postgres'],
  jellyfin: ['jellyfin'],
  lightning: ['lightning', 'lightning-lnd', 'lightning-tor'],
  lnbits: ['lnbits'],
  netbird: ['netbird'],
  nextcloud: ['nextcloud', 'nextcloud-db', 'nextcloud-redis', 'nextcloud-cron'],
  'nostr-relay': ['nostr-relay', 'nostr-relay-relay', 'nostr-relay-relay-proxy'],
  thunderhub: ['thunderhub'],
  vaultwarden: ['vaultwarden'],
}

const REFUSED: Record<string, string[]> = {
  'core-lightning': [
    'app_proxy, APP_PORT: "$APP_CORE_LIGHTNING_PORT" is set by the app\'s exports.sh, which is ' +
      'not among its files or computes it when run, so the UI port is unknown',
  ],
  'home-assistant': [
    'service server, privileged: privileged mode is refused',
    'service server, network_mode: host networking is refused: apps never share the host network',
    'service server, volumes[2]: the host device path "/dev" is refused',
    'service server, volumes[3]: the host socket or runtime path "/run/dbus" is refused',
  ],
  mempool: [
    'app_proxy, APP_PORT: "$APP_MEMPOOL_PORT" is set by the app\'s exports.sh, which is not ' +
      'among its files or computes it when run, so the UI port is unknown',
  ],
}

const root = mkdtempSync(path.join(tmpdir(), 'archy-umbrel-store-'))
const out = path.join(root, 'out')
const reportFile = path.join(root, 'report.json')
let apps: AppImport[]
let reportText: string

beforeAll(async () => {
  const json = await runCli(['app', 'import', 'umbrel', UMBREL_APPS, '--out', out, '--json',
    '--report', reportFile]) // prettier-ignore
  // Three of the fifteen are refused, so the exit code is 1.
  expect(json.code, json.err).toBe(1)
  apps = JSON.parse(readFileSync(reportFile, 'utf8')).apps
  const text = await runCli(['app', 'import', 'umbrel', UMBREL_APPS, '--out', `${out}-text`])
  expect(text.code).toBe(1)
  reportText = text.out
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

const byId = (id: string): AppImport & { files: string[] } => {
  const app = apps.find((entry) => entry.umbrelId === id)
  if (!app) throw new Error(`no report for ${id}`)
  return app as AppImport & { files: string[] }
}
const manifest = (file: string): Record<string, any> =>
  (parse(readFileSync(path.join(out, file), 'utf8')) as { app: Record<string, any> }).app

describe('archy app import umbrel on the fifteen Umbrel apps', () => {
  it('reports every app, twelve converted and three refused', () => {
    const imported = apps.filter((app) => app.status !== 'skipped')
    expect(imported.map((app) => app.umbrelId).sort()).toEqual(
      [...Object.keys(CONVERTED), ...Object.keys(REFUSED)].sort(),
    )
    expect(reportText).toMatch(
      /\n12 converted, 3 refused, 9 elements needing a decision, 1 folder skipped\n$/,
    )
  })

  it('reports the nested community store as skipped, with the reason', () => {
    const nested = apps.filter((app) => app.status === 'skipped')
    expect(nested.map((app) => [app.umbrelId, app.leftOut.map(formatNote)])).toEqual([
      ['_community-template', [
        'folder _community-template: is an app store of its own (umbrel-app-store.yml); its ' +
          'apps are not imported with this one: run archy app import umbrel ' +
          path.join(UMBREL_APPS, '_community-template'),
      ]],
    ]) // prettier-ignore
  })

  it.each(Object.entries(REFUSED))('refuses %s with its specific refusals', (id, refusals) => {
    const app = byId(id)
    expect(app.status).toBe('refused')
    expect(app.refusals.map(formatNote)).toEqual(refusals)
    expect(app.files).toEqual([])
    expect(reportText).toContain(`${id}: refused\n  refused:\n`)
  })

  it.each(Object.entries(CONVERTED))('converts %s', async (id, members) => {
    const app = byId(id)
    expect(app.status).toBe('converted')
    expect(app.refusals).toEqual([])
    const files = members.map((member, index) =>
      index === 0 ? `${id}/manifest.yml` : `${id}/${member}.manifest.yml`,
    )
    expect(app.files).toEqual(files)

    // The manifests pass the validator as a set, strict about unknown keys.
    const paths = files.map((file) => path.join(out, file))
    const validated = await runCli(['app', 'validate', '--strict', ...paths])
    expect(validated.code, validated.out).toBe(0)

    // Their units pass the real Quadlet generator.
    const quadlet = findQuadlet()
    expect(quadlet, QUADLET_MISSING).toBeDefined()
    const units = path.join(root, 'units', id)
    const rendered = await runCli(['app', 'render', ...paths, '--out', units])
    expect(rendered.code, rendered.err).toBe(0)
    const dryRun = runQuadletDryRun(quadlet!, units)
    expect(dryRun.exitCode, dryRun.stderr).toBe(0)
    const services = [...splitDryRunOutput(dryRun.stdout).keys()].filter((name) =>
      name.endsWith('.service'),
    )
    expect(services.sort()).toEqual(
      expect.arrayContaining(members.map((member) => `${member}.service`).sort()),
    )
  })

  it('lists what needs a decision with the service and the compose key', () => {
    const decisions = Object.fromEntries(
      apps.map((app) => [app.umbrelId, app.decisions.map(formatNote)]),
    )
    const tor =
      'service tor, volumes[1]: "${TOR_DATA_DIR}" is a host path Umbrel fills in ' +
      "(TOR_DATA_DIR), outside the app's data directory; the mount is left out"
    expect(decisions).toMatchObject({
      bitcoin: [tor],
      electrs: [tor],
      jellyfin: [
        'service server, volumes[1]: "${UMBREL_ROOT}/data/storage/downloads" is a host path ' +
          "Umbrel fills in (UMBREL_ROOT), outside the app's data directory; the mount is left out",
      ],
      netbird: [
        'service app, network_mode: host networking is refused: apps never share the host ' +
          'network; service app is left out',
        'service app, cap_add: NET_ADMIN, SYS_ADMIN, SYS_RESOURCE are outside the rootless ' +
          'default capability set (CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, NET_BIND_SERVICE, ' +
          'SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT); service app is left out',
      ],
      nextcloud: [
        'service cron, volumes[0]: mounted read-only: the data belongs to member nextcloud ' +
          "(service web), and an app mounts another's data read-only only; the compose file " +
          'mounts it read-write',
      ],
      immich: [],
      vaultwarden: [],
    })
    expect(decisions.lightning).toEqual([
      'service app, volumes[0]: mounted read-only: the data belongs to member lightning-lnd ' +
        "(service lnd), and an app mounts another's data read-only only; the compose file " +
        'mounts it read-write',
      tor,
    ])
    expect(decisions['btcpay-server']).toHaveLength(1)
  })

  it('makes app_proxy the UI port and keeps images with their digests', () => {
    const vaultwarden = manifest('vaultwarden/manifest.yml')
    expect(vaultwarden.ports).toEqual([
      { host: 8089, container: 8089, protocol: 'tcp', bind: '127.0.0.1', auth: 'open',
        auth_rationale: "Umbrel's app proxy adds no login (PROXY_AUTH_ADD: false)" },
    ]) // prettier-ignore
    expect(vaultwarden.interfaces.main).toEqual({
      name: 'Vaultwarden', type: 'ui', port: 8089, protocol: 'http', path: '/',
    }) // prettier-ignore
    expect(vaultwarden.container.image).toBe(
      'docker.io/vaultwarden/server:1.37.1@sha256:' +
        'ebdfe70701c60ac0c28c697e787cea767d7972940b786037b29fe0d507f821e8',
    )
    // `$$` in the compose file is a literal dollar sign in the command.
    expect(vaultwarden.container.entrypoint).toEqual(['/bin/sh'])
    expect(vaultwarden.container.command[1]).toContain('main_js="$(ls "$web_vault"/app/main.*.js)"')
    expect(vaultwarden.container.data_uid).toBe(1000)
    // Without PROXY_AUTH_ADD: false the UI stays behind the node's login.
    expect(manifest('thunderhub/manifest.yml').ports[0].auth).toBe('gated')
  })

  it('maps APP_SEED and APP_PASSWORD to generated secrets declared once', () => {
    const postgres = manifest('immich/immich-postgres.manifest.yml')
    expect(postgres.generated_secrets).toEqual([
      { name: 'umbrel-app-seed', length: 64, charset: 'hex' },
    ])
    const server = manifest('immich/manifest.yml')
    expect(server.generated_secrets).toBeUndefined()
    expect(server.container.secret_env).toEqual([
      { key: 'JWT_SECRET', secret_file: 'umbrel-app-seed' },
    ])
    expect(manifest('immich/immich-machine-learning.manifest.yml').dependencies).toEqual([
      { app_id: 'immich-postgres' },
    ])
    const nextcloud = manifest('nextcloud/manifest.yml')
    expect(nextcloud.generated_secrets).toEqual([
      { name: 'umbrel-app-password', length: 32, charset: 'alphanumeric' },
    ])
    expect(nextcloud.container.secret_env).toEqual([
      { key: 'NEXTCLOUD_ADMIN_PASSWORD', secret_file: 'umbrel-app-password' },
    ])
  })

  it("rewrites Umbrel's container names and static addresses to app ids", () => {
    const server = manifest('immich/manifest.yml')
    expect(server.environment).toEqual(
      expect.arrayContaining([
        { key: 'DB_HOSTNAME', value: 'immich-postgres' },
        { key: 'REDIS_HOSTNAME', value: 'immich-redis' },
        { key: 'IMMICH_MACHINE_LEARNING_URL', value: 'http://immich-machine-learning:3003' },
      ]),
    )
    expect(byId('immich').converted.map(formatNote)).toContain(
      'service server, environment.DB_HOSTNAME: immich_postgres_1 -> immich-postgres',
    )
    // depends_on: the members it starts after (machine learning is not one of them).
    expect(server.dependencies).toEqual([{ app_id: 'immich-redis' }, { app_id: 'immich-postgres' }])
    // electrs' APP_BITCOIN_NODE_IP is the address of bitcoin's main service, imported alongside.
    expect(manifest('electrs/manifest.yml').environment).toEqual(
      expect.arrayContaining([
        { key: 'BITCOIN_HOST', value: 'bitcoin' },
        { key: 'ELECTRS_HOST', value: 'electrs-electrs' },
      ]),
    )
    // DEVICE_DOMAIN_NAME is the node's mDNS name.
    expect(manifest('electrs/manifest.yml').container.derived_env).toEqual([
      { key: 'ELECTRUM_LOCAL_SERVICE', template: '{{HOST_MDNS}}' },
    ])
  })

  it('gives LND its data directory, which the UI service mounts read-only', () => {
    // Neither service starts after the other and both mount data/lnd read-write: the one named
    // as the directory owns it, so LND can write its wallet; the UI reads its credentials.
    expect(manifest('lightning/lightning-lnd.manifest.yml').volumes).toEqual([
      { type: 'bind', source: '/var/lib/archipelago/lightning-lnd/data/lnd', target: '/data/.lnd' },
    ])
    const ui = manifest('lightning/manifest.yml')
    expect(ui.volumes).toEqual([
      { type: 'bind', source: '/var/lib/archipelago/lightning-lnd/data/lnd', target: '/data/.lnd',
        options: ['ro'] },
      { type: 'bind', source: '/var/lib/archipelago/lightning/data/lightning', target: '/data' },
    ]) // prettier-ignore
    expect(ui.dependencies).toEqual([{ app_id: 'lightning-lnd' }, { app_id: 'bitcoin' }])
  })

  it("mounts a dependency's data read-only and a stack's data per member", () => {
    // Lightning's data/lnd is its member lightning-lnd's, so lnbits depends on that member too.
    const lnbits = manifest('lnbits/manifest.yml')
    expect(lnbits.dependencies).toEqual([{ app_id: 'lightning-lnd' }, { app_id: 'lightning' }])
    expect(lnbits.volumes).toEqual([
      { type: 'bind', source: '/var/lib/archipelago/lnbits/data', target: '/data' },
      { type: 'bind', source: '/var/lib/archipelago/lightning-lnd/data/lnd', target: '/lnd',
        options: ['ro'] },
    ]) // prettier-ignore
    const electrs = manifest('electrs/electrs-electrs.manifest.yml')
    expect(electrs.volumes[0]).toEqual({
      type: 'bind', source: '/var/lib/archipelago/bitcoin/data/bitcoin', target: '/data/.bitcoin',
      options: ['ro'],
    }) // prettier-ignore
    const web = manifest('btcpay-server/manifest.yml')
    expect(web.volumes).toEqual([
      { type: 'bind', source: '/var/lib/archipelago/btcpay-server/data/btcpay', target: '/data' },
      { type: 'bind', source: '/var/lib/archipelago/btcpay-server-nbxplorer/data/nbxplorer',
        target: '/data/.nbxplorer', options: ['ro'] },
      { type: 'bind', source: '/var/lib/archipelago/lightning-lnd/data/lnd', target: '/lnd',
        options: ['ro'] },
    ]) // prettier-ignore
    expect(manifest('thunderhub/manifest.yml').volumes).toContainEqual({
      type: 'bind', source: '/var/lib/archipelago/lightning-lnd/data/lnd', target: '/lnd',
      options: ['ro'],
    }) // prettier-ignore
  })

  it('converts ports, health checks and versions', () => {
    const jellyfin = manifest('jellyfin/manifest.yml')
    expect(jellyfin.ports[1]).toEqual({
      host: 7359, container: 7359, protocol: 'udp', bind: '0.0.0.0', auth: 'open',
      auth_rationale:
        'published directly by the Umbrel compose file, outside its app proxy, for non-browser ' +
        'clients',
    }) // prettier-ignore
    expect(manifest('nextcloud/nextcloud-db.manifest.yml').health_check).toEqual({
      type: 'exec', command: ['healthcheck.sh', '--connect', '--innodb_initialized'],
      interval: '10s', timeout: '5s', start_period: '10s', retries: 3,
    }) // prettier-ignore
    expect(manifest('immich/manifest.yml').version).toBe('3.1.0')
    expect(manifest('immich/manifest.yml').upstream).toEqual({
      kind: 'umbrel', app: 'immich', version: 'v3.1.0', service: 'server',
    }) // prettier-ignore
    expect(byId('core-lightning').converted.map(formatNote)).toContain(
      'umbrel-app.yml, version: "26.06.6" is SemVer 26.6.6',
    )
  })
})

describe('archy app import umbrel on a community store checkout', () => {
  it('refuses an app whose image is not pinned', async () => {
    const result = await runCli([
      'app', 'import', 'umbrel', path.join(UMBREL_APPS, '_community-template'),
      '--out', path.join(root, 'community'),
    ]) // prettier-ignore
    expect(result.code).toBe(1)
    expect(result.out).toContain(
      'sparkles-hello-world: refused\n  refused:\n    - service server, image: ' +
        '"getumbrel/community-app-store-hello-world:latest" is not pinned: "latest" is ' +
        'refused, use a version tag or an @sha256 digest\n',
    )
  })
})
