// Stacks (DESIGN.md §4): members are ordered dependencies first (orderByDependencies, a cycle
// refused), and an install creates a dependent only once its dependency's health check passed.
import { describe, expect, it } from 'vitest'

import { addRegistry } from '../../node-agent/catalog-follower.js'
import type { ExecExpectation } from '../../node-agent/exec.js'
import { installApp } from '../../node-agent/install.js'
import { orderByDependencies } from '../../node-agent/stack-plan.js'
import type { AppManifest } from '../../src/manifest/types.js'
import { buildTestManifest } from '../support/quadlet.js'
import {
  adoptionProbes,
  buildCatalog,
  makePublisher,
  nameCheck,
  openStubAgent,
  signRawRelease,
  useAgentTestBed,
} from './agent-test-registry.js'

/** A manifest per `id: dependency ids` entry, in the order given. */
function stack(edges: Record<string, string[]>): AppManifest[] {
  return Object.entries(edges).map(([id, needs]) =>
    buildTestManifest(id, { dependencies: needs.map((app_id) => ({ app_id })) }),
  )
}

describe('orderByDependencies', () => {
  const cases: { name: string; edges: Record<string, string[]>; order: string[] }[] = [
    { name: 'a single app', edges: { web: [] }, order: ['web'] },
    { name: 'independent apps, as given', edges: { b: [], a: [], c: [] }, order: ['b', 'a', 'c'] },
    {
      name: 'a chain listed dependent first',
      edges: { web: ['api'], api: ['db'], db: [] },
      order: ['db', 'api', 'web'],
    },
    {
      name: 'a diamond, the shared dependency once',
      edges: { web: ['api', 'cache'], api: ['db'], cache: ['db'], db: [] },
      order: ['db', 'api', 'cache', 'web'],
    },
    {
      name: 'a dependency outside the stack, ignored',
      edges: { web: ['elsewhere', 'db'], db: [] },
      order: ['db', 'web'],
    },
    {
      name: 'the primary first and its members after',
      edges: {
        immich: ['immich-postgres', 'immich-redis'],
        'immich-redis': [],
        'immich-postgres': [],
      },
      order: ['immich-postgres', 'immich-redis', 'immich'],
    },
  ]
  for (const c of cases) {
    it(`orders ${c.name}`, () => {
      expect(orderByDependencies(stack(c.edges)).map((manifest) => manifest.id)).toEqual(c.order)
    })
  }

  const cycles: { name: string; edges: Record<string, string[]>; error: string }[] = [
    { name: 'an app needing itself', edges: { web: ['web'] }, error: 'web -> web' },
    { name: 'two apps', edges: { a: ['b'], b: ['a'] }, error: 'a -> b -> a' },
    {
      name: 'a cycle below an acyclic root',
      edges: { web: ['api'], api: ['db'], db: ['api'] },
      error: 'web -> api -> db -> api',
    },
  ]
  for (const c of cycles) {
    it(`refuses a cycle of ${c.name}, naming it`, () => {
      expect(() => orderByDependencies(stack(c.edges))).toThrow(
        `manifests: dependency cycle: ${c.error}`,
      )
    })
  }
})

const bed = useAgentTestBed('stack-order-')

describe('installApp of a stack', () => {
  it("creates a dependent only after its dependency's health check passed", async () => {
    const health = { type: 'tcp', port: 5432 }
    const member = (id: string, needs: string[]) => ({
      app: {
        id,
        name: id,
        version: '1.0.0',
        container: { image: `registry.example/${id}:1.0.0` },
        dependencies: needs.map((app_id) => ({ app_id })),
        health_check: health,
      },
    })
    // The primary first, as a release lists it; its database after.
    const release = signRawRelease(makePublisher(), [member('web', ['db']), member('db', [])])
    bed.registry.catalog = buildCatalog(bed.registry, [release], 1)

    const running: string[] = []
    const listing = { stdout: '[]' }
    const perMember = (id: string): ExecExpectation[] => [
      {
        command: 'podman',
        args: ['image', 'inspect', '--format', '{{.Id}}', `registry.example/${id}:1.0.0`],
        result: { stdout: `${'b'.repeat(64)}\n` },
      },
      {
        command: 'podman',
        args: (args) => {
          if (args[0] !== 'run' || args[args.indexOf('--name') + 1] !== id) return false
          running.push(id)
          return true
        },
        result: { stdout: `${'c'.repeat(64)}\n` },
      },
    ]
    const probes = adoptionProbes([]).filter((call) => !(call.args as string[]).includes('ps'))
    const agent = await openStubAgent(bed.dir, [
      ...probes.map((call) => (call.times ? { ...call, times: 2 } : call)),
      {
        command: 'podman',
        args: (args) => {
          if (args[0] !== 'ps') return false
          const rows = running.map((name, i) => ({ Id: `c${i}`, Names: [name], State: 'running' }))
          listing.stdout = JSON.stringify(rows.map((row) => ({ ...row, Image: 'x', Labels: {} })))
          return true
        },
        result: listing,
        times: 4,
      },
      { command: 'podman', args: ['network', 'exists', 'archy-net'], times: 2 },
      ...perMember('db'),
      ...perMember('web'),
      // The database's check fails once, then passes; the app's passes at once.
      { command: 'podman', args: ['healthcheck', 'run', 'db'], result: { exitCode: 1 } },
      { command: 'podman', args: ['healthcheck', 'run', 'db'] },
      { command: 'podman', args: ['healthcheck', 'run', 'web'] },
      // Both run on archy-net: their names are asked of Podman's DNS once they run.
      ...nameCheck('archy-net', ['db', 'web']),
    ])
    try {
      await addRegistry(agent.store, bed.registry.url, bed.registry.operator.did)
      const result = await installApp(agent, 'web', { mode: 'podman' })
      expect(result.steps.map((step) => `${step.step} ${step.appId}`)).toEqual([
        'create db',
        'create web',
      ])
      agent.stub.assertAllUsed()

      const log = agent.stub.calls
        .map((call) => call.args)
        .filter((args) => ['run', 'healthcheck', 'unshare'].includes(args[0] ?? ''))
        .map((args) => {
          if (args[0] === 'unshare') return `names ${args.slice(6).join(' ')}`
          return args[0] === 'run' ? `run ${args[args.indexOf('--name') + 1]}` : args.join(' ')
        })
      expect(log).toEqual([
        'run db',
        'healthcheck run db',
        'healthcheck run db',
        'run web',
        'healthcheck run web',
        'names db web',
      ])
    } finally {
      await agent.close()
    }
  }, 20_000)
})
