// The manifest's JSON Schema for editors (`archy app schema`), generated from the same zod
// definition the validator parses with, so the two cannot drift apart.
import { z } from 'zod'

import { manifestSchema } from './schema.js'

/** JSON Schema (draft 2020-12) of a manifest document as written, before defaults apply. */
export function manifestJsonSchema(): Record<string, unknown> {
  // io: 'input' describes what an author writes ("10Gi", "30s"), not the normalized output.
  const schema = z.toJSONSchema(manifestSchema, { io: 'input', unrepresentable: 'any' })
  return { ...schema, $id: 'https://archipelago.example/schemas/app-manifest.json' }
}
