// Installs written straight into an agent's store, each with the one running container the agent
// would have made (its own labels and config hash), for passes that should find nothing to do.
import type { Agent } from '../../node-agent/agent-context.js'
import type { InstallRecord } from '../../node-agent/agent-store.js'
import { loadInstalledApp } from '../../node-agent/installed-app.js'
import { makeKeys, manifestDocument, signRelease } from './release-fixtures.js'

/**
 * Seeds `count` one-member installs (`extra` added to each manifest's `app`); returns the
 * `podman ps -a --format json` rows they match.
 */
export async function seedRunningInstalls(
  agent: Agent,
  count: number,
  extra: Record<string, unknown> = {},
): Promise<unknown[]> {
  const keys = makeKeys()
  const now = new Date().toISOString()
  const rows: unknown[] = []
  for (let i = 0; i < count; i += 1) {
    const appId = `seeded-app-${String(i).padStart(2, '0')}`
    const install: InstallRecord = {
      appId,
      registryUrl: 'http://127.0.0.1:1',
      publisherDid: keys.ed25519.did,
      version: '1.0.0',
      release: signRelease(keys, [manifestDocument(appId, '1.0.0', extra)]),
      desired: 'running',
      mode: 'podman',
      warnings: [],
      lastError: null,
      installedAt: now,
      updatedAt: now,
    }
    const member = { appId, installId: appId, position: 0, containerName: appId, adopted: false }
    agent.store.saveInstall(install, [{ ...member, configHash: null }])
    const [planned] = (await loadInstalledApp(agent, install)).members
    if (!planned) throw new Error(`${appId}: no member planned`)
    agent.store.saveInstall(install, [{ ...member, configHash: planned.configHash }])
    rows.push({
      Id: i.toString(16).padStart(64, '0'),
      Names: [planned.spec.name],
      State: 'running',
      Image: planned.spec.image,
      Labels: planned.spec.labels,
      Created: Math.floor(Date.now() / 1000),
    })
  }
  return rows
}
