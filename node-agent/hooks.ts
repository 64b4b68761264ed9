// post_install hooks (DESIGN.md §4, "Hooks"), run after every create: `exec` inside the container,
// `copy_from_host` from the release's own verified files into it. Anything that is not a plain
// file among those artifacts is refused.
import { lstat, realpath } from 'node:fs/promises'
import path from 'node:path'

import { ArchyError, ValidationError } from '../src/errors.js'
import type { AppManifest } from '../src/manifest/types.js'
import type { ReleaseDocument } from '../src/release/release-document.js'
import { fetchArtifact } from './artifact-fetch.js'
import { scrub, type Exec } from './exec.js'
import type { Podman } from './podman.js'

export interface HookOptions {
  podman: Podman
  exec: Exec
  origin: string
  artifactsDir: string
  /** Secret values of the app: scrubbed from any hook output shown in an error. */
  redact: string[]
}

/** Runs the app's post_install steps in order in its container; the first failure stops them. */
export async function runPostInstallHooks(
  manifest: AppManifest,
  release: ReleaseDocument,
  containerName: string,
  options: HookOptions,
): Promise<void> {
  for (const [index, step] of manifest.hooks.post_install.entries()) {
    const at = `${manifest.id}: app.hooks.post_install[${index}]`
    if ('exec' in step) {
      const result = await options.podman.exec(containerName, step.exec.command)
      if (result.exitCode !== 0) {
        const output = scrub(result.stderr.trim(), { redact: options.redact }).split('\n').pop()
        throw new ArchyError(
          'hook-failed',
          `${at}.exec: exited with ${result.exitCode}${output ? `: ${output}` : ''}`,
        )
      }
      continue
    }
    const source = await resolveHookSource(
      step.copy_from_host.src,
      release,
      options,
      `${at}.copy_from_host.src`,
    )
    await options.exec('podman', ['cp', source, `${containerName}:${step.copy_from_host.dest}`])
  }
}

/** The verified local file of a release artifact named `src`; refuses escapes and links. */
export async function resolveHookSource(
  src: string,
  release: ReleaseDocument,
  options: Pick<HookOptions, 'origin' | 'artifactsDir'>,
  at: string,
): Promise<string> {
  const name = path.posix.normalize(src)
  if (path.posix.isAbsolute(name) || name === '..' || name.startsWith('../')) {
    throw new ValidationError(at, `"${src}" leaves the release's files`)
  }
  const artifact = release.artifacts.find(
    (candidate) => path.posix.normalize(candidate.name) === name,
  )
  if (!artifact) throw new ValidationError(at, `"${src}" is not among the release's files`)

  const file = await fetchArtifact(artifact, options.origin, options.artifactsDir)
  const info = await lstat(file)
  const real = await realpath(file)
  const root = await realpath(options.artifactsDir)
  if (!info.isFile() || path.dirname(real) !== root) {
    throw new ValidationError(
      at,
      `"${src}" does not resolve to a plain file among the release's files`,
    )
  }
  return real
}
