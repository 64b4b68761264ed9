// A registry node holding a small marketplace for the page tests: apps in two categories, a stack
// with ports, volumes, secrets and capabilities, three releases of one app (the first yanked), an
// id claimed by two publishers, a name that is markup, and a rejected release.
import type { KeyPairs } from '../../../src/identity/key-file.js'
import { signNostrEvent } from '../../../src/nostr/event.js'
import { buildReleaseEvent } from '../../../src/release/release-event.js'
import { makeKeys, manifestDocument, signRelease } from '../../support/release-fixtures.js'
import { makeDataDir, startTestNode, waitFor, waitForCatalog, type TestNode } from '../harness.js'

export const MARKUP_NAME = '<script>alert("owned")</script> & <b>Bold</b>'

export interface Marketplace {
  node: TestNode
  publisher: KeyPairs
  rival: KeyPairs
  close(): Promise<void>
}

const photoVault = (version: string): Record<string, unknown> =>
  manifestDocument('photo-vault', version, {
    name: 'Photo Vault',
    description: 'Keeps your photos at home, away from anyone else.',
    category: 'Media',
    metadata: { tags: ['photos', 'backup'] },
    container: {
      image: `blake3:${'b'.repeat(64)}`,
      command: ['httpd', '-f'],
      secret_env: [{ key: 'DB_PASSWORD', secret_file: 'photo-vault-db-password' }],
    },
    generated_secrets: [{ name: 'photo-vault-db-password', length: 32, charset: 'hex' }],
    dependencies: [{ app_id: 'photo-vault-db' }],
    security: { capabilities: ['CHOWN', 'SETUID'] },
    ports: [{ host: 18443, container: 8080 }],
    volumes: [
      { type: 'bind', source: '/var/lib/archipelago/photo-vault/data', target: '/data' },
      { type: 'tmpfs', target: '/tmp' },
    ],
    resources: { memory_limit: '512Mi' },
  })

const photoVaultDb = manifestDocument('photo-vault-db', '16.2.0', {
  name: 'Photo Vault database',
  volumes: [{ type: 'volume', source: 'pgdata', target: '/var/lib/postgresql' }],
})

/** Starts a node and publishes the marketplace into it; resolves once the catalog lists it all. */
export async function startMarketplace(): Promise<Marketplace> {
  const data = makeDataDir()
  const node = await startTestNode(data.dir)
  const publisher = makeKeys()
  const rival = makeKeys()
  let clock = Math.floor(Date.now() / 1000) - 3600

  const releases: [KeyPairs, Record<string, unknown>[]][] = [
    [publisher, [photoVault('1.0.0'), photoVaultDb]],
    [publisher, [photoVault('1.2.0'), photoVaultDb]],
    [publisher, [photoVault('1.3.0'), photoVaultDb]],
    [
      publisher,
      [
        manifestDocument('notes', '0.4.1', {
          name: 'Notes',
          description: 'Plain text notes, synced.',
          category: 'Productivity',
        }),
      ],
    ],
    [publisher, [manifestDocument('xss-app', '1.0.0', { name: MARKUP_NAME, category: 'Tools' })]],
    [
      rival,
      [
        manifestDocument('photo-vault', '9.0.0', {
          name: 'Photo Vault (fork)',
          description: 'The same id, another publisher.',
          category: 'media',
        }),
      ],
    ],
    // Port 80 is below 1024: refused, and shown on the rejections page.
    [publisher, [manifestDocument('bad-ports', '1.0.0', { ports: [{ host: 80, container: 80 }] })]],
    // The rival's next release asks for a capability outside the rootless set: refused too.
    [
      rival,
      [manifestDocument('photo-vault', '9.1.0', { security: { capabilities: ['NET_ADMIN'] } })],
    ],
  ]
  const eventIds: string[] = []
  for (const [keys, manifests] of releases) {
    const release = signRelease(keys, manifests)
    const event = buildReleaseEvent(release, keys.nostr.secretKey, ++clock)
    await node.publish(event)
    eventIds.push(event.id)
  }
  // The publisher deletes 1.0.0 (NIP-09): the registry keeps it, marked yanked.
  const deletion = { kind: 5, created_at: clock + 1, tags: [['e', eventIds[0]!]], content: 'bug' }
  await node.publish(signNostrEvent(deletion, publisher.nostr.secretKey))
  await waitForCatalog(node, 2)
  await waitForApps(node, 4)
  await waitFor(async () => {
    const { body } = await node.getJson('/v1/apps/photo-vault/releases')
    const releases = body.releases as { event_id: string; yanked?: unknown }[]
    return releases.find((record) => record.event_id === eventIds[0])?.yanked ? true : undefined
  })

  return {
    node,
    publisher,
    rival,
    async close() {
      await node.close()
      data.remove()
    },
  }
}

async function waitForApps(node: TestNode, count: number): Promise<void> {
  const deadline = Date.now() + 5000
  while (Date.now() < deadline) {
    const { body } = await node.getJson('/v1/catalog')
    if ((body.apps as unknown[]).length >= count) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`the catalog did not reach ${count} apps in time`)
}
