// Tests for the `podman run` argv: exact arrays for a minimal and a full spec, and the edge cases
// (entrypoints, `=` in values, IPv6 binds, lone health commands).
import { describe, expect, it } from 'vitest'

import { buildContainerSpec } from '../../node-agent/container-spec.js'
import type { ContainerSpec } from '../../node-agent/container-spec.js'
import { renderHealthCommand, renderPodmanRunArgs } from '../../node-agent/podman-args.js'
import { buildTestManifest } from '../support/quadlet.js'

const context = { dataRoot: '/srv/archy', values: {} }

function buildSpec(overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  const { spec } = buildContainerSpec(buildTestManifest('web'), context)
  return { ...spec, ...overrides }
}

describe('renderPodmanRunArgs', () => {
  it('renders a minimal spec', () => {
    expect(renderPodmanRunArgs(buildSpec())).toEqual([
      'run',
      '-d',
      '--name',
      'web',
      '--label',
      'archy.app=web',
      '--label',
      'archy.version=1.0.0',
      '--network',
      'archy-net',
      '--cap-drop',
      'all',
      '--read-only',
      '--security-opt',
      'no-new-privileges',
      '--restart',
      'unless-stopped',
      'registry.example/web:1.0.0',
    ])
  })

  it('renders every part of a full spec in order', () => {
    const base = buildTestManifest('web')
    const manifest = buildTestManifest('web', {
      container: {
        ...base.container,
        network: 'web-net',
        entrypoint: ['/bin/app', '--flag'],
        command: ['serve', '--port', '8080'],
        secret_env: [{ key: 'DB_PASSWORD', secret_file: 'db-password' }],
      },
      security: { ...base.security, capabilities: ['CHOWN'], network_policy: 'archy-net' },
      network_aliases: ['front'],
      ports: [{ host: 8443, container: 8080, protocol: 'tcp', bind: '127.0.0.1', auth: 'gated' }],
      volumes: [
        { type: 'bind', source: '/var/lib/archipelago/web/data', target: '/data', options: [] },
        { type: 'volume', source: 'web-cache', target: '/cache', options: ['ro'] },
        { type: 'tmpfs', target: '/run/app', options: ['size=16m', 'mode=1777'] },
      ],
      environment: [{ key: 'QUERY', value: 'a=b&c=d' }],
      resources: { memory_limit: 268435456, cpu_limit: 1.5 },
      health_check: {
        type: 'tcp',
        port: 8080,
        interval: 30_000,
        timeout: 1_500,
        retries: 2,
        start_period: 60_000,
      },
    })
    const { spec } = buildContainerSpec(manifest, context)
    expect(renderPodmanRunArgs(spec, { replace: true, restart: 'always' })).toEqual([
      'run', '-d', '--name', 'web', '--replace',
      '--label', 'archy.app=web', '--label', 'archy.version=1.0.0',
      '--network', 'web-net', '--network', 'archy-net', '--network-alias', 'front',
      '-p', '127.0.0.1:8443:8080/tcp',
      '-v', '/srv/archy/web/data:/data',
      '-v', 'web-cache:/cache:ro',
      '--tmpfs', '/run/app:size=16m,mode=1777',
      '--cap-drop', 'all', '--cap-add', 'CHOWN',
      '--read-only', '--security-opt', 'no-new-privileges',
      '--secret', 'archy.web.db-password,type=env,target=DB_PASSWORD',
      '-e', 'QUERY=a=b&c=d',
      '--memory', '268435456', '--cpus', '1.5',
      '--health-cmd', '["sh","-c","nc -z 127.0.0.1 8080 2>/dev/null || nc -w 1 127.0.0.1 8080 </dev/null"]',
      '--health-interval', '30s', '--health-timeout', '1500ms',
      '--health-retries', '2', '--health-start-period', '60s',
      '--restart', 'always',
      '--entrypoint', '["/bin/app","--flag"]',
      'registry.example/web:1.0.0', 'serve', '--port', '8080',
    ]) // prettier-ignore
  })

  it('puts an IPv6 bind address in brackets and keeps udp', () => {
    const args = renderPodmanRunArgs(
      buildSpec({ ports: [{ host: 5353, container: 53, protocol: 'udp', bind: '::1' }] }),
    )
    expect(args).toContain('[::1]:5353:53/udp')
  })

  it('writes a one-element entrypoint as JSON too', () => {
    const args = renderPodmanRunArgs(buildSpec({ entrypoint: ['/bin/with space'] }))
    expect(args.slice(-3)).toEqual([
      '--entrypoint',
      '["/bin/with space"]',
      'registry.example/web:1.0.0',
    ])
  })

  it('never puts a secret value in argv, only the secret name', () => {
    const args = renderPodmanRunArgs(
      buildSpec({
        secrets: [{ key: 'K', secretName: 'archy.web.k', ownerAppId: 'web', name: 'k' }],
      }),
    )
    expect(args.filter((arg) => arg.includes('archy.web.k'))).toEqual([
      'archy.web.k,type=env,target=K',
    ])
  })
})

describe('renderHealthCommand', () => {
  it.each([
    [['/bin/check'], '["CMD-SHELL","/bin/check"]'],
    [['/opt/my check'], `["CMD-SHELL","'/opt/my check'"]`],
    [['/bin/check', '-q'], '["/bin/check","-q"]'],
  ])('renders %j as %s', (command, rendered) => {
    expect(renderHealthCommand(command)).toBe(rendered)
  })
})
