// post_install hooks (DESIGN.md §4, "Hooks"), run after every create: `exec` inside the container,
// `copy_from_host` from the release's own verified files into it (its `dest` was checked to be
// writable while planning: hook-destinations.ts). A source that leaves those files is refused.
import { realpath, stat } from 'node:fs/promises'
import path from 'node:path'

import { ArchyError, ExecError, ValidationError, VerificationError } from '../src/errors.js'
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

const COPY_TIMEOUT_MS = 120_000

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
      let result: Awaited<ReturnType<Podman['exec']>>
      try {
        result = await options.podman.exec(containerName, step.exec.command)
      } catch (error) {
        throw new ArchyError('hook-failed', `${at}.exec: ${describeFailure(error, options)}`, {
          cause: error,
        })
      }
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
    const args = ['cp', source, `${containerName}:${step.copy_from_host.dest}`]
    try {
      await options.exec('podman', args, { cwd: '/', timeoutMs: COPY_TIMEOUT_MS })
    } catch (error) {
      const reason = describeFailure(error, options)
      throw new ArchyError('hook-failed', `${at}.copy_from_host: ${reason}`, { cause: error })
    }
  }
}

/**
 * The verified local file of the release artifact named `src`, with symlinks followed: it must
 * resolve to a regular file that is one of this release's artifacts in the artifacts directory.
 */
export async function resolveHookSource(
  src: string,
  release: ReleaseDocument,
  options: Pick<HookOptions, 'origin' | 'artifactsDir'>,
  at: string,
): Promise<string> {
  const name = path.posix.normalize(src)
  if (path.posix.isAbsolute(name) || name === '.' || name === '..' || name.startsWith('../')) {
    throw new ValidationError(at, `"${src}" leaves the release's files`)
  }
  const artifact = release.artifacts.find(
    (candidate) => path.posix.normalize(candidate.name) === name,
  )
  if (!artifact) throw new ValidationError(at, `"${src}" is not among the release's files`)

  let file: string
  let root: string
  let real: string
  try {
    file = await fetchArtifact(artifact, options.origin, options.artifactsDir)
    root = await realpath(options.artifactsDir)
    real = await realpath(file)
  } catch (error) {
    // The fetch's own error names the artifact and why; this names the manifest field too.
    const message = `${at}: ${(error as Error).message}`
    if (error instanceof VerificationError) throw new VerificationError(message, { cause: error })
    const code = error instanceof ArchyError ? error.code : 'io'
    throw new ArchyError(code, message, { cause: error })
  }
  const ownFiles = release.artifacts.map((candidate) => path.join(root, candidate.blake3))
  if (!ownFiles.includes(real)) {
    throw new ValidationError(at, `"${src}" resolves to ${real}, which leaves the release's files`)
  }
  if (!(await stat(real)).isFile()) {
    throw new ValidationError(at, `"${src}" does not resolve to a regular file`)
  }
  return real
}

/**
 * Why a hook's podman call failed, for its error: a timeout without the output tail (which may
 * hold a secret the hook printed), anything else with the app's secrets scrubbed.
 */
function describeFailure(error: unknown, options: Pick<HookOptions, 'redact'>): string {
  if (error instanceof ExecError && error.code === 'exec-timeout') {
    return `${error.command} ${/timed out after \d+ ms/.exec(error.message)?.[0] ?? 'timed out'}`
  }
  return scrub((error as Error).message, { redact: options.redact })
}
