// The shapes of the compose keys the importer reads (Compose specification, services), checked
// before any is converted: a key of another type (`cap_drop: ALL`, `command: 42`) is a problem
// naming the key and the rule, never a value coerced into something else.
import { z } from 'zod'

import type { YamlMap } from './read-app.js'
import type { UnsafeKey } from './unsafe-keys.js'

interface ShapeRule {
  schema: z.ZodType
  rule: string
  /** The rule each entry of a list must follow, checked first so that the entry is named. */
  item?: EntryRule
  /** The rule each value of a mapping must follow, likewise. */
  field?: EntryRule
}

interface EntryRule {
  schema: z.ZodType
  rule: string
}

const string = z.string()
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()])
const map = z.record(z.string(), z.unknown())
const strings: ShapeRule = {
  schema: z.array(string),
  rule: 'must be a list of strings',
  item: { schema: string, rule: 'must be a string' },
}
const words: ShapeRule = {
  schema: z.union([string, z.array(string), z.null()]),
  rule: 'must be a string or a list of strings',
  item: { schema: string, rule: 'must be a string' },
}
const flag: ShapeRule = { schema: z.boolean(), rule: 'must be true or false' }

const RULES: Record<string, ShapeRule> = {
  image: { schema: string, rule: 'must be a string' },
  entrypoint: words,
  command: words,
  environment: {
    schema: z.union([z.record(z.string(), scalar), z.array(string)]),
    rule: 'must be a mapping of values or a list of KEY=value strings',
    item: { schema: string, rule: 'must be a KEY=value string' },
    field: { schema: scalar, rule: 'must be a string, a number, true, false or empty' },
  },
  cap_add: strings,
  cap_drop: strings,
  security_opt: strings,
  devices: strings,
  volumes_from: strings,
  read_only: flag,
  privileged: flag,
  depends_on: {
    schema: z.union([z.array(string), z.record(z.string(), z.union([map, z.null()]))]),
    rule: 'must be a list of service names or a mapping of them',
  },
  volumes: {
    schema: z.array(z.union([string, map])),
    rule: 'must be a list',
    item: { schema: z.union([string, map]), rule: 'must be a string SOURCE:TARGET or a mapping' },
  },
  tmpfs: { ...words, rule: 'must be a path or a list of paths' },
  ports: {
    schema: z.array(z.union([string, z.number(), map])),
    rule: 'must be a list',
    item: { schema: z.union([string, z.number(), map]), rule: 'must be a string or a mapping' },
  },
  user: { schema: z.union([string, z.number()]), rule: 'must be a string or a number' },
  healthcheck: { schema: map, rule: 'must be a mapping' },
  networks: { schema: z.union([z.array(string), map]), rule: 'must be a list or a mapping' },
}

/** Every key of `service` whose value has the wrong shape, with the rule it breaks. */
export function checkServiceShapes(service: YamlMap): UnsafeKey[] {
  const problems: UnsafeKey[] = []
  for (const [key, { schema, rule, item, field }] of Object.entries(RULES)) {
    const value = service[key]
    if (value === undefined) continue
    const entry = findBadEntry(value, item, field)
    if (entry) problems.push({ key: `${key}${entry.at}`, message: entry.rule })
    else if (!schema.safeParse(value).success) problems.push({ key, message: rule })
  }
  return problems
}

/** `[2]` or `.NAME`, the first entry of a list or mapping that breaks its rule, and the rule. */
function findBadEntry(
  value: unknown,
  item: EntryRule | undefined,
  field: EntryRule | undefined,
): { at: string; rule: string } | undefined {
  if (Array.isArray(value)) {
    const index = item ? value.findIndex((entry) => !item.schema.safeParse(entry).success) : -1
    return index < 0 ? undefined : { at: `[${index}]`, rule: item!.rule }
  }
  if (!field || typeof value !== 'object' || value === null) return undefined
  const entries = Object.entries(value as YamlMap)
  const bad = entries.find(([, entry]) => !field.schema.safeParse(entry).success)
  return bad && { at: `.${bad[0]}`, rule: field.rule }
}
