// Tests for the Quadlet renderer: what the units say, how they change with the Podman version,
// and that the real Quadlet generator accepts them (`quadlet -dryrun`).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { buildContainerSpec } from '../../node-agent/container-spec.js'
import type { ContainerSpec } from '../../node-agent/container-spec.js'
import { renderQuadletUnits } from '../../node-agent/quadlet.js'
import type { UnitFile } from '../../node-agent/quadlet.js'
import {
  QUADLET_MISSING,
  buildTestManifest,
  findQuadlet,
  runQuadletDryRun,
  splitDryRunOutput,
} from '../support/quadlet.js'

const context = { dataRoot: '/srv/archy', values: { HOST_IP: '192.168.1.20' } }

/** The front end of a two-container stack: alias, secret of its backend, port, volumes. */
function buildWebSpec(): ContainerSpec {
  const base = buildTestManifest('notes')
  const manifest = buildTestManifest('notes', {
    container: {
      ...base.container,
      network: 'notes-net',
      entrypoint: ['/bin/busybox', 'httpd'],
      command: ['-f', '-p', '8080', '-h', '/www'],
      derived_env: [{ key: 'PUBLIC_URL', template: 'http://{{HOST_IP}}:8443/' }],
      secret_env: [{ key: 'API_TOKEN', secret_file: 'api-token' }],
    },
    security: { ...base.security, capabilities: ['CHOWN', 'SETUID'] },
    dependencies: [{ app_id: 'notes-api' }],
    network_aliases: ['notes-web'],
    ports: [{ host: 8443, container: 8080, protocol: 'tcp', bind: '127.0.0.1', auth: 'gated' }],
    volumes: [
      { type: 'bind', source: '/var/lib/archipelago/notes/www', target: '/www', options: [] },
      { type: 'volume', source: 'notes-cache', target: '/cache', options: [] },
      { type: 'tmpfs', target: '/tmp', options: ['size=16m'] },
    ],
    environment: [{ key: 'GREETING', value: 'say "hi" at 100% for $USER\\n' }],
    resources: { memory_limit: 134217728, cpu_limit: 0.5 },
    health_check: {
      type: 'http',
      endpoint: 'http://localhost:8080',
      path: '/',
      interval: 10_000,
      timeout: 2_000,
      retries: 3,
      start_period: 5_000,
    },
    hooks: { post_install: [{ exec: { command: ['sh', '-c', 'echo ready > /tmp/ready'] } }] },
  })
  return buildContainerSpec(manifest, context, { secretOwners: { 'api-token': 'notes-api' } }).spec
}

function buildApiSpec(): ContainerSpec {
  const base = buildTestManifest('notes-api')
  const manifest = buildTestManifest('notes-api', {
    container: {
      ...base.container,
      network: 'notes-net',
      secret_env: [{ key: 'TOKEN', secret_file: 'api-token' }],
    },
    generated_secrets: [{ name: 'api-token', length: 32, charset: 'hex' }],
    network_aliases: ['api'],
    health_check: {
      type: 'tcp',
      port: 9000,
      interval: 30_000,
      timeout: 5_000,
      retries: 3,
      start_period: 0,
    },
  })
  return buildContainerSpec(manifest, context).spec
}

function findFile(files: UnitFile[], name: string): string {
  const file = files.find((candidate) => candidate.name === name)
  if (!file) throw new Error(`no ${name} among ${files.map((f) => f.name).join(', ')}`)
  return file.content
}

describe('renderQuadletUnits', () => {
  it('writes one .container per spec and one .network per user network', () => {
    const { files, warnings } = renderQuadletUnits([buildWebSpec(), buildApiSpec()], {
      podmanVersion: '5.4',
    })
    expect(files.map((file) => file.name)).toEqual([
      'notes.container',
      'notes-api.container',
      'notes-net.network',
    ])
    expect(findFile(files, 'notes-net.network')).toContain('[Network]\nNetworkName=notes-net\n')
    expect(warnings).toEqual([])
  })

  it('states ports, volumes, aliases, secrets and capabilities in the unit (5.4)', () => {
    const unit = findFile(
      renderQuadletUnits([buildWebSpec()], { podmanVersion: '5.4' }).files,
      'notes.container',
    )
    for (const line of [
      'ContainerName=notes',
      'Image=registry.example/notes:1.0.0',
      'Label=archy.app=notes',
      'Network=notes-net.network',
      'NetworkAlias=notes-web',
      'PublishPort=127.0.0.1:8443:8080/tcp',
      'Volume=/srv/archy/notes/www:/www',
      'Volume=notes-cache:/cache',
      'Tmpfs=/tmp:size=16m',
      'DropCapability=all',
      'AddCapability=CHOWN SETUID',
      'ReadOnly=true',
      'ReadOnlyTmpfs=true',
      'NoNewPrivileges=true',
      'Secret=archy.notes-api.api-token,type=env,target=API_TOKEN',
      'Environment=PUBLIC_URL=http://192.168.1.20:8443/',
      'HealthInterval=10s',
      'HealthStartPeriod=5s',
      'Entrypoint=["/bin/busybox","httpd"]',
      'PodmanArgs=--memory=134217728 --cpus=0.5',
      'Exec=-f -p 8080 -h /www',
      'Requires=notes-api.service',
      'After=notes-api.service',
      'Restart=always',
      'TimeoutStartSec=900',
      'ExecStartPost=podman exec notes sh -c "echo ready > /tmp/ready"',
      'WantedBy=default.target',
    ]) {
      expect(unit.split('\n')).toContain(line)
    }
  })

  it('escapes quotes, backslashes, % and $ in environment values', () => {
    const unit = findFile(renderQuadletUnits([buildWebSpec()]).files, 'notes.container')
    expect(unit).toContain('Environment="GREETING=say \\"hi\\" at 100%% for $$USER\\\\n"\n')
  })

  it('falls back to PodmanArgs for keys Podman 4.4 does not know', () => {
    const { files } = renderQuadletUnits([buildWebSpec()], { podmanVersion: '4.4' })
    const unit = findFile(files, 'notes.container')
    expect(files.map((file) => file.name)).toEqual(['notes.container'])
    expect(unit).not.toMatch(/^(NetworkAlias|Secret|Tmpfs|HealthCmd|Entrypoint|ReadOnlyTmpfs)=/m)
    expect(unit).toContain('\nNetwork=notes-net\n')
    expect(unit).toContain('\nVolatileTmp=true\n')
    expect(unit).toContain('\nExecStartPre=podman network create --ignore notes-net\n')
    const podmanArgs = unit.split('\n').find((line) => line.startsWith('PodmanArgs='))
    expect(podmanArgs).toBe(
      'PodmanArgs=--network-alias=notes-web --tmpfs=/tmp:size=16m ' +
        '--secret=archy.notes-api.api-token,type=env,target=API_TOKEN --memory=134217728 ' +
        '--cpus=0.5 "--health-cmd=[\\"sh\\",\\"-c\\",\\"wget -q -O /dev/null http://localhost:8080/ ' +
        '|| curl -fsS -o /dev/null http://localhost:8080/\\"]" --health-interval=10s ' +
        '--health-timeout=2s --health-retries=3 --health-start-period=5s ' +
        '"--entrypoint=[\\"/bin/busybox\\",\\"httpd\\"]"',
    )
  })

  it.each([
    ['5.1', false, true],
    ['5.2', true, true],
    ['4.6', false, false],
    ['4.7', false, true],
  ])('with Podman %s writes NetworkAlias=: %s, a .network unit: %s', (version, alias, network) => {
    const { files } = renderQuadletUnits([buildWebSpec()], { podmanVersion: version })
    expect(findFile(files, 'notes.container').includes('\nNetworkAlias=notes-web\n')).toBe(alias)
    expect(files.some((file) => file.name === 'notes-net.network')).toBe(network)
  })

  it('warns about a copy_from_host source that is not absolute', () => {
    const spec: ContainerSpec = {
      ...buildApiSpec(),
      postInstall: [
        { copy_from_host: { src: 'web/provider.js', dest: '/srv/provider.js' } },
        { copy_from_host: { src: '/opt/release/web/app.js', dest: '/srv/app.js' } },
      ],
    }
    const { files, warnings } = renderQuadletUnits([spec])
    expect(findFile(files, 'notes-api.container')).toContain(
      '\nExecStartPost=podman cp /opt/release/web/app.js notes-api:/srv/app.js\n',
    )
    expect(warnings).toEqual([
      'notes-api: app.hooks.post_install[0].copy_from_host.src: web/provider.js is relative; ' +
        'the unit needs an absolute host path',
    ])
  })

  it('refuses a version Quadlet does not exist in', () => {
    expect(() => renderQuadletUnits([buildApiSpec()], { podmanVersion: '4.3' })).toThrow(
      'Quadlet needs Podman 4.4 or later',
    )
  })
})

describe('renderQuadletUnits with the real Quadlet generator', () => {
  const quadlet = findQuadlet()
  const dirs: string[] = []
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

  function generate(specs: ContainerSpec[], podmanVersion: string): Map<string, string> {
    const dir = mkdtempSync(path.join(tmpdir(), 'archy-quadlet-'))
    dirs.push(dir)
    for (const file of renderQuadletUnits(specs, { podmanVersion }).files) {
      writeFileSync(path.join(dir, file.name), file.content)
    }
    const result = runQuadletDryRun(quadlet!, dir)
    expect(result.stderr).not.toMatch(/error|unsupported|invalid/i)
    expect(result.exitCode).toBe(0)
    return splitDryRunOutput(result.stdout)
  }

  function findExecStart(service: string | undefined): string {
    const line = service?.split('\n').find((candidate) => candidate.startsWith('ExecStart='))
    if (!line) throw new Error('the generated service has no ExecStart=')
    return line
  }

  if (!quadlet) {
    if (process.env.CI === 'true') {
      it('has the Quadlet generator installed', () => {
        throw new Error(QUADLET_MISSING)
      })
    } else {
      it.skip(`skipped: ${QUADLET_MISSING}`, () => {})
    }
    return
  }

  it('accepts a single app and turns it into the expected podman run', () => {
    const services = generate([buildApiSpec()], '5.4')
    expect([...services.keys()].sort()).toEqual(['notes-api.service', 'notes-net-network.service'])
    const execStart = findExecStart(services.get('notes-api.service'))
    for (const flag of [
      '--name notes-api',
      '--network notes-net',
      '--network-alias api',
      '--cap-drop all',
      '--read-only',
      '--security-opt=no-new-privileges',
      '--secret archy.notes-api.api-token,type=env,target=TOKEN',
      '--label archy.app=notes-api',
      'registry.example/notes-api:1.0.0',
    ]) {
      expect(execStart).toContain(flag)
    }
  })

  it.each(['5.4', '4.4'])('accepts a two-container stack rendered for Podman %s', (version) => {
    const services = generate([buildWebSpec(), buildApiSpec()], version)
    const web = services.get('notes.service') ?? ''
    const execStart = findExecStart(web)
    for (const flag of [
      '--publish 127.0.0.1:8443:8080/tcp',
      '-v /srv/archy/notes/www:/www',
      '-v notes-cache:/cache',
      '--network-alias',
      'notes-web',
      '--cap-add chown',
      '--cap-add setuid',
      'archy.notes-api.api-token,type=env,target=API_TOKEN',
      '--memory=134217728',
      '"GREETING=say \\"hi\\" at 100%% for $$USER\\\\n"',
      'registry.example/notes:1.0.0 -f -p 8080 -h /www',
    ]) {
      expect(execStart).toContain(flag)
    }
    expect(web).toContain('Requires=notes-api.service')
    expect(web).toContain('ExecStartPost=podman exec notes sh -c "echo ready > /tmp/ready"')
    expect(services.has('notes-api.service')).toBe(true)
  })
})
