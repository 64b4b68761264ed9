// How the importer converts compose values on small made-up apps: environment literals,
// defaults, placeholders, secrets, commands, keys a manifest has no place for, and exports.sh.
import { describe, expect, it } from 'vitest'

import { importUmbrelApps } from '../../../../src/import/umbrel/import-umbrel.js'
import {
  IMAGE,
  importApp,
  makeStore,
  notes,
  primary,
  proxy,
  side,
  web,
} from './umbrel-rules-fixture.js'

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
    const { store, write } = makeStore('store')
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
