// The JSON API's bodies against their schemas, over real HTTP: a node with a rotated key, two
// publishers of one id, a yanked release and a rejected event serves every optional field; each
// body parses with its schema made strict and fits the served /v1/openapi.json's component, so a
// field a handler adds, renames or drops fails here.
import { z } from '@hono/zod-openapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  App,
  AppList,
  Catalog,
  Rejections,
  Releases,
  Rotations,
  Verdict,
} from '../../registry/api-bodies.js'
import { loadOperatorIdentity, rotateOperatorKey } from '../../registry/operator-keys.js'
import type { KeyPairs } from '../../src/identity/key-file.js'
import { signNostrEvent, type NostrEvent } from '../../src/nostr/event.js'
import { buildReleaseEvent } from '../../src/release/release-event.js'
import { makeKeys, manifestDocument, signRelease } from '../support/release-fixtures.js'
import { makeDataDir, startTestNode, waitFor, type TestNode } from './harness.js'

let clock = Math.floor(Date.now() / 1000) - 3600

function publishable(keys: KeyPairs, version: string, extra = {}, signer = keys): NostrEvent {
  const release = signRelease(keys, [manifestDocument('photo-vault', version, extra)])
  return buildReleaseEvent(release, signer.nostr.secretKey, ++clock)
}

/**
 * `schema` with every object in it strict, down to the documents it leaves loose (the signed
 * release, proofs): those are checked against their signatures, not a schema.
 */
function strictly(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodObject) {
    if (schema._zod.def.catchall) return schema
    const shape = Object.entries(schema.shape as Record<string, z.ZodType>)
    return z.strictObject(Object.fromEntries(shape.map(([key, field]) => [key, strictly(field)])))
  }
  if (schema instanceof z.ZodArray) {
    const element = strictly(schema.element as z.ZodType)
    return schema.clone({ ...schema._zod.def, element })
  }
  if (schema instanceof z.ZodOptional) return strictly(schema.unwrap() as z.ZodType).optional()
  if (schema instanceof z.ZodNullable) return strictly(schema.unwrap() as z.ZodType).nullable()
  if (schema instanceof z.ZodUnion) {
    const options = (schema.options as z.ZodType[]).map(strictly)
    return schema.clone({ ...schema._zod.def, options })
  }
  return schema
}

interface JsonSchema {
  $ref?: string
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: unknown
  items?: JsonSchema
  oneOf?: JsonSchema[]
}

/** Where `value` leaves `schema` of the served document: a field it lacks, misses or mistypes. */
function findUndocumented(
  value: unknown,
  schema: JsonSchema,
  components: Record<string, JsonSchema>,
  where = 'body',
): string[] {
  const again = (item: unknown, inner: JsonSchema, path: string): string[] =>
    findUndocumented(item, inner, components, path)
  if (schema.$ref) return again(value, components[schema.$ref.split('/').pop()!]!, where)
  if (schema.oneOf) {
    const each = schema.oneOf.map((branch) => again(value, branch, where))
    return each.some((problems) => problems.length === 0) ? [] : each.flat()
  }
  const types = [schema.type ?? []].flat()
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
  const fits = types.length === 0 || types.includes(type)
  if (!fits && !(type === 'number' && types.includes('integer'))) {
    return [`${where}: a ${type}, documented as ${types.join(' or ')}`]
  }
  if (Array.isArray(value) && schema.items) {
    return value.flatMap((item, index) => again(item, schema.items!, `${where}[${index}]`))
  }
  if (type !== 'object' || !schema.properties) return []
  const fields = value as Record<string, unknown>
  const problems = (schema.required ?? [])
    .filter((key) => !(key in fields))
    .map((key) => `${where}.${key}: documented as required, not served`)
  for (const [key, item] of Object.entries(fields)) {
    const property = schema.properties[key]
    if (property) problems.push(...again(item, property, `${where}.${key}`))
    else if (!schema.additionalProperties) problems.push(`${where}.${key}: not documented`)
  }
  return problems
}

describe('registry API bodies', () => {
  const data = makeDataDir()
  const owner = makeKeys()
  const second = makeKeys()
  let node: TestNode
  let components: Record<string, JsonSchema>
  let paths: Record<string, { get: { responses: Record<string, unknown> } }>
  const events: Record<'yanked' | 'current' | 'second' | 'rejected', NostrEvent> = {
    yanked: publishable(owner, '1.0.0', { description: 'Photos, kept' }),
    current: publishable(owner, '1.1.0'),
    second: publishable(second, '1.0.0', { description: 'Photos, elsewhere' }),
    // Signed by a Nostr key that is not the release author's: stored, judged, rejected.
    rejected: publishable(owner, '2.0.0', {}, makeKeys()),
  }

  beforeAll(async () => {
    await loadOperatorIdentity(data.dir)
    await rotateOperatorKey(data.dir)
    node = await startTestNode(data.dir)
    for (const event of Object.values(events)) await node.publish(event)
    const deletion = { kind: 5, created_at: ++clock, content: 'withdrawn' }
    const tags = [['e', events.yanked.id]]
    await node.publish(signNostrEvent({ ...deletion, tags }, owner.nostr.secretKey))
    await waitFor(async () => {
      const { body } = await node.getJson('/v1/apps/photo-vault')
      const releases = body.releases as { yanked: unknown }[]
      return releases.some((release) => release.yanked) ? true : undefined
    })
    await waitFor(async () => {
      const apps = (await node.getJson('/v1/catalog')).body.apps as unknown[]
      return apps.length === 2 ? true : undefined
    })

    const document = (await node.getJson('/v1/openapi.json')).body
    components = (document.components as { schemas: Record<string, JsonSchema> }).schemas
    paths = document.paths as typeof paths
  })
  afterAll(async () => {
    await node.close()
    data.remove()
  })

  const bySecond = (): string => `photo-vault@${second.ed25519.did}`
  const cases: [string, () => string, z.ZodType, string][] = [
    ['/v1/catalog', () => '/v1/catalog', Catalog, 'Catalog'],
    ['/v1/apps', () => '/v1/apps', AppList, 'AppList'],
    ['/v1/apps/{id}', () => '/v1/apps/photo-vault', App, 'App'],
    ['/v1/apps/{id}', () => `/v1/apps/${bySecond()}`, App, 'App'],
    ['/v1/apps/{id}/releases', () => '/v1/apps/photo-vault/releases', Releases, 'Releases'],
    ['/v1/apps/{id}/releases', () => `/v1/apps/${bySecond()}/releases`, Releases, 'Releases'],
    ['/v1/rejections', () => '/v1/rejections', Rejections, 'Rejections'],
    ['/v1/rotations', () => '/v1/rotations', Rotations, 'Rotations'],
    [
      '/v1/events/{id}/verdict',
      () => `/v1/events/${events.current.id}/verdict`,
      Verdict,
      'Verdict',
    ],
    [
      '/v1/events/{id}/verdict',
      () => `/v1/events/${events.rejected.id}/verdict`,
      Verdict,
      'Verdict',
    ],
  ]

  it.each(cases)(
    'serves %s (%#) as its schema and its component say',
    async (route, path, schema, name) => {
      const { status, body } = await node.getJson(path())
      expect(status).toBe(200)
      const parsed = strictly(schema).safeParse(body)
      expect(parsed.success ? [] : parsed.error.issues).toEqual([])
      expect(paths[route]!.get.responses['200']).toEqual({
        description: expect.any(String),
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } },
      })
      expect(findUndocumented(body, components[name]!, components)).toEqual([])

      const added = { ...body, undocumented: true }
      expect(strictly(schema).safeParse(added).success).toBe(false)
      expect(findUndocumented(added, components[name]!, components)).not.toEqual([])
    },
  )

  it('has every optional field served, so that each is checked above', async () => {
    const catalog = (await node.getJson('/v1/catalog')).body
    expect(catalog.rotations).toHaveLength(1)
    expect(catalog.apps).toContainEqual(expect.objectContaining({ address: bySecond() }))
    const apps = (await node.getJson('/v1/apps')).body.apps as Record<string, unknown>[]
    expect(apps.map((app) => [app.address, app.description])).toEqual([
      [undefined, null],
      [bySecond(), 'Photos, elsewhere'],
    ])
    const page = (await node.getJson('/v1/apps/photo-vault')).body
    expect(page.rejections).toMatchObject([{ event_id: events.rejected.id }])
    expect(page.releases).toContainEqual(
      expect.objectContaining({ event_id: events.yanked.id, yanked: expect.any(Object) }),
    )
    const one = (await node.getJson(`/v1/apps/${bySecond()}/releases`)).body
    expect(one).toMatchObject({ id: 'photo-vault', publisher: second.ed25519.did })
  })

  it.each([
    ['Catalog', ['type', 'registry', 'sequence', 'issued_at', 'expires_at', 'apps', 'proof']],
    ['CatalogEntry', ['id', 'publisher', 'version', 'event_id', 'release', 'trust']],
    ['KeyRotation', ['type', 'old_did', 'new_did', 'sequence', 'issued_at', 'proof']],
    ['Trust', ['score', 'band']],
    ['Publisher', ['did', 'nostr_pubkey']],
    ['AppList', ['apps']],
    [
      'AppSummary',
      ['id', 'name', 'description', 'version', 'publisher', 'trust', 'event_id', 'published_at'],
    ],
    ['App', ['id', 'entries', 'releases', 'rejections']],
    [
      'ReleaseSummary',
      ['event_id', 'app_id', 'publisher', 'version', 'created_at', 'verified_at', 'yanked'],
    ],
    ['Releases', ['id', 'releases']],
    ['Rejections', ['rejections']],
    ['Rejection', ['event_id', 'pubkey', 'app_id', 'reason', 'seen_at']],
  ])('documents %s with its required fields, each described', (name, required) => {
    const component = components[name]!
    expect(component.required).toEqual(required)
    for (const [field, property] of Object.entries(component.properties!)) {
      const described = property as { description?: string; $ref?: string }
      expect(described.description ?? described.$ref, `${name}.${field}`).toBeTruthy()
    }
  })

  it('documents a verdict as accepted, or rejected with a reason', () => {
    expect(components.Verdict!.oneOf).toMatchObject([
      { required: ['status'], properties: { status: { enum: ['accepted'] } } },
      { required: ['status', 'reason'], properties: { status: { enum: ['rejected'] } } },
    ])
  })

  it('fails a body with a field added or renamed, in the envelope or an entry', async () => {
    const catalog = (await node.getJson('/v1/catalog')).body
    const [entry, ...rest] = catalog.apps as Record<string, unknown>[]
    const { trust, ...untrusted } = entry!
    const changed = [
      { ...catalog, signed_by: 'x' },
      { ...catalog, apps: [{ ...entry, installs: 3 }, ...rest] },
      { ...catalog, apps: [{ ...untrusted, reputation: trust }, ...rest] },
    ]
    for (const body of changed) {
      expect(strictly(Catalog).safeParse(body).success).toBe(false)
      expect(findUndocumented(body, components.Catalog!, components)).not.toEqual([])
    }
    const release = entry!.release as Record<string, unknown>
    const extended = { ...catalog, apps: [{ ...entry, release: { ...release, notes: 'x' } }] }
    expect(strictly(Catalog).safeParse(extended).success).toBe(true)
  })
})
