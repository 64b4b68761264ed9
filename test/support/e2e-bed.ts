// What the agent's tests on real Podman start from: a directory the test user owns for the
// agent's state and data root, the example images built, and a registry node on loopback with
// a publisher key, so each test file only publishes and installs what it is about.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { expect } from 'vitest'

import type { Exec } from '../../node-agent/exec.js'
import { startRegistryNode, type RegistryNode } from '../../registry/index.js'
import { runCli } from './cli.js'

export const EXAMPLE_APPS = path.resolve('examples/apps')

/** A new /tmp directory of the test user's (mode 0755), and the flags placing an agent in it. */
export async function makeTestUserRoot(
  asUser: Exec,
  prefix: string,
): Promise<{ root: string; place: string[] }> {
  const root = (await asUser('mktemp', ['-d', `/tmp/${prefix}-XXXXXX`])).stdout.trim()
  await asUser('chmod', ['755', root])
  return { root, place: ['--state', `${root}/state`, '--data-root', `${root}/apps`] }
}

/** Builds the example apps' images (examples/images/build.sh) unless they are there. */
export function ensureExampleImages(): void {
  if (!existsSync(path.join(EXAMPLE_APPS, 'hello-web', 'image.tar'))) {
    execFileSync('bash', ['examples/images/build.sh'], { stdio: 'ignore' })
  }
}

/** A registry node on a free loopback port in a new directory, and a new publisher key there. */
export async function startBedRegistry(
  prefix: string,
): Promise<{ work: string; registry: RegistryNode; key: string }> {
  const work = mkdtempSync(path.join(tmpdir(), `${prefix}-`))
  const registry = await startRegistryNode({
    dataDir: `${work}/data`,
    host: '127.0.0.1',
    port: 0,
    logLevel: 'warn',
  })
  const key = `${work}/publisher.keys`
  expect((await runCli(['keys', 'new', '--out', key])).code).toBe(0)
  return { work, registry, key }
}
