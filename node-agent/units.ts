// The app's Quadlet units, rendered into `<state>/units/<app id>/` on every install: kept for
// inspection in podman mode; quadlet mode installs the same files (quadlet-mode.ts). The
// directory holds only the agent's files.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'

import { ArchyError } from '../src/errors.js'
import type { ReleaseDocument } from '../src/release/release-document.js'
import type { Agent } from './agent-context.js'
import type { ContainerSpec } from './container-spec.js'
import { resolveHookSource } from './hooks.js'
import { renderQuadletUnits, type UnitFile } from './quadlet.js'
import { DEFAULT_PODMAN_VERSION } from './quadlet-versions.js'
import { hasQuadlet } from './runtime-mode.js'

/** The release the specs come from, and its origin: where hook sources are resolved. */
export interface UnitRelease {
  release: ReleaseDocument
  origin: string
}

/**
 * Rewrites the app's unit directory; returns the renderer's warnings. With `from`, every
 * copy_from_host source is the release's verified file, as podman mode copies it.
 */
export async function writeUnits(
  agent: Agent,
  appId: string,
  specs: ContainerSpec[],
  from?: UnitRelease,
): Promise<string[]> {
  // Rendered (and sources resolved) before the old units go, so a refusal leaves them as they were.
  const { files, warnings } = await renderAppUnits(agent, specs, from)
  await saveUnitFiles(agent, appId, files)
  return warnings
}

/** The app's units for the host's Podman, hook sources resolved when `from` is given. */
export async function renderAppUnits(
  agent: Agent,
  specs: ContainerSpec[],
  from?: UnitRelease,
): Promise<{ files: UnitFile[]; warnings: string[] }> {
  const resolved = from
    ? await resolveUnitHookSources(specs, from.release, {
        origin: from.origin,
        artifactsDir: agent.paths.artifactsDir,
      })
    : specs
  return renderQuadletUnits(resolved, {
    podmanVersion: chooseUnitVersion(await agent.podman.version()),
  })
}

/** Replaces the app's unit directory in the state with these files. */
export async function saveUnitFiles(agent: Agent, appId: string, files: UnitFile[]): Promise<void> {
  const dir = unitsDirOf(agent, appId)
  try {
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true, mode: 0o700 })
    for (const file of files) {
      await writeFile(path.join(dir, file.name), file.content, { mode: 0o600 })
    }
  } catch (error) {
    const reason = (error as Error).message
    throw new ArchyError('io', `--state: cannot write the units of ${appId}: ${reason}`, {
      cause: error,
    })
  }
}

/** The names of the unit files last saved for an app (none when it has no directory). */
export async function listSavedUnits(agent: Agent, appId: string): Promise<string[]> {
  try {
    return await readdir(unitsDirOf(agent, appId))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

/**
 * The specs with each copy_from_host `src` replaced by the file resolveHookSource gives podman
 * mode (DESIGN.md §4, "Hooks"), so an `ExecStartPost=podman cp` copies the same verified bytes.
 */
export async function resolveUnitHookSources(
  specs: ContainerSpec[],
  release: ReleaseDocument,
  options: { origin: string; artifactsDir: string },
): Promise<ContainerSpec[]> {
  const resolved: ContainerSpec[] = []
  for (const spec of specs) {
    const postInstall: ContainerSpec['postInstall'] = []
    for (const [index, step] of spec.postInstall.entries()) {
      if (!('copy_from_host' in step)) {
        postInstall.push(step)
        continue
      }
      const at = `${spec.appId}: app.hooks.post_install[${index}].copy_from_host.src`
      const src = await resolveHookSource(step.copy_from_host.src, release, options, at)
      postInstall.push({ copy_from_host: { ...step.copy_from_host, src } })
    }
    resolved.push({ ...spec, postInstall })
  }
  return resolved
}

/** Removes the app's rendered units. */
export async function removeUnits(agent: Agent, appId: string): Promise<void> {
  await rm(unitsDirOf(agent, appId), { recursive: true, force: true })
}

function unitsDirOf(agent: Agent, appId: string): string {
  return path.join(agent.paths.unitsDir, appId)
}

/** The host's Podman when it has Quadlet; else the default, as the units are for inspection. */
function chooseUnitVersion(hostVersion: string): string {
  return hasQuadlet(hostVersion) ? hostVersion : DEFAULT_PODMAN_VERSION
}
