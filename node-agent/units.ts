// The app's Quadlet units, rendered into `<state>/units/<app id>/` on every install: kept for
// inspection now, and what quadlet mode installs. The directory holds only the agent's files.
import { mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'

import type { Agent } from './agent-context.js'
import type { ContainerSpec } from './container-spec.js'
import { renderQuadletUnits } from './quadlet.js'
import { DEFAULT_PODMAN_VERSION } from './quadlet-versions.js'
import { hasQuadlet } from './runtime-mode.js'

/** Rewrites the app's unit directory; returns the renderer's warnings. */
export async function writeUnits(
  agent: Agent,
  appId: string,
  specs: ContainerSpec[],
): Promise<string[]> {
  const dir = unitsDirOf(agent, appId)
  const { files, warnings } = renderQuadletUnits(specs, {
    podmanVersion: chooseUnitVersion(await agent.podman.version()),
  })
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true, mode: 0o700 })
  for (const file of files)
    await writeFile(path.join(dir, file.name), file.content, { mode: 0o600 })
  return warnings
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
