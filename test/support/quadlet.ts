// The real Quadlet generator for render tests: where to find it, and a dry run over a directory
// of units. deploy/fetch-quadlet.sh installs Debian trixie's build to /opt/archy/quadlet/quadlet.
import { spawnSync } from 'node:child_process'
import { accessSync, constants } from 'node:fs'

import type { AppManifest } from '../../src/manifest/types.js'

const CANDIDATES = [
  '/opt/archy/quadlet/quadlet',
  '/usr/libexec/podman/quadlet',
  '/usr/lib/podman/quadlet',
]

export const QUADLET_MISSING =
  'the Quadlet generator is not installed: run deploy/fetch-quadlet.sh (or set ARCHY_QUADLET_BIN)'

/** The quadlet binary: ARCHY_QUADLET_BIN, else the usual places; undefined when none runs. */
export function findQuadlet(): string | undefined {
  const configured = process.env.ARCHY_QUADLET_BIN
  for (const candidate of configured ? [configured] : CANDIDATES) {
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      continue
    }
  }
  return undefined
}

export interface QuadletDryRun {
  exitCode: number | null
  stdout: string
  stderr: string
}

/** Runs `QUADLET_UNIT_DIRS=<dir> quadlet -dryrun -user` and returns what it printed. */
export function runQuadletDryRun(quadlet: string, unitDir: string): QuadletDryRun {
  const result = spawnSync(quadlet, ['-dryrun', '-user'], {
    env: { ...process.env, QUADLET_UNIT_DIRS: unitDir },
    encoding: 'utf8',
    timeout: 30_000,
  })
  if (result.error) throw result.error
  return { exitCode: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** Splits dry-run output (`---name.service---` headers) into generated files by name. */
export function splitDryRunOutput(stdout: string): Map<string, string> {
  const files = new Map<string, string>()
  const parts = stdout.split(/^---(.+?)---$/m)
  for (let index = 1; index + 1 < parts.length; index += 2) {
    files.set(parts[index]!.trim(), parts[index + 1]!.trim())
  }
  return files
}

/** A normalized manifest (every default applied, as the validator returns it) for render tests. */
export function buildTestManifest(id: string, overrides: Partial<AppManifest> = {}): AppManifest {
  const { container, security, ...rest } = overrides
  return {
    id,
    name: id,
    version: '1.0.0',
    container: {
      image: `registry.example/${id}:1.0.0`,
      legacy_names: [],
      pull_policy: 'if-not-present',
      network: 'archy-net',
      derived_env: [],
      secret_env: [],
      ...container,
    },
    generated_secrets: [],
    network_aliases: [],
    dependencies: [],
    resources: {},
    security: {
      capabilities: [],
      readonly_root: true,
      no_new_privileges: true,
      network_policy: 'isolated',
      ...security,
    },
    ports: [],
    volumes: [],
    environment: [],
    files: [],
    hooks: { post_install: [] },
    interfaces: {},
    metadata: {},
    ...rest,
  }
}
