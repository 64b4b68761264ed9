// The zod schemas of the HTTP API: the routes validate their parameters with them and
// `/v1/openapi.json` is generated from them, so the document cannot drift from the code.
import { z } from '@hono/zod-openapi'

import { ValidationError } from '../src/errors.js'

const HEX64 = /^[0-9a-f]{64}$/

export const ErrorBody = z
  .object({
    error: z.string().openapi({ description: 'Stable code', example: 'invalid' }),
    message: z.string().openapi({ description: 'What is wrong, naming the field and the rule' }),
  })
  .openapi('Error')

export const Blake3Param = z.object({
  blake3: z
    .string()
    .regex(HEX64, 'must be 64 lowercase hex')
    .openapi({ param: { name: 'blake3', in: 'path' }, description: 'BLAKE3-256 digest, hex' }),
})

/** `<sha256>` with an optional file extension, as BUD-01 addresses blobs; also a route pattern. */
export const SHA256_FILE_PATTERN = '[0-9a-f]{64}(?:\\.[A-Za-z0-9]{1,16})?'

export const Sha256File = z
  .string()
  .regex(new RegExp(`^${SHA256_FILE_PATTERN}$`), 'must be 64 lowercase hex, then .ext optionally')
  .openapi({ param: { name: 'sha256', in: 'path' }, description: 'SHA-256 digest, hex' })

export const PubkeyParam = z.object({
  pubkey: z
    .string()
    .regex(HEX64, 'must be a Nostr public key: 64 lowercase hex (BUD-02)')
    .openapi({ param: { name: 'pubkey', in: 'path' } }),
})

const UnixSeconds = z
  .string()
  .regex(/^\d{1,12}$/, 'must be a Unix time in seconds')
  .transform(Number)

export const ListQuery = z.object({
  since: UnixSeconds.optional().openapi({ type: 'integer' }),
  until: UnixSeconds.optional().openapi({ type: 'integer' }),
})

export const LimitQuery = z.object({
  limit: z
    .string()
    .regex(/^\d+$/, 'must be an integer from 1 to 1000')
    .transform(Number)
    .refine((value) => value >= 1 && value <= 1000, 'must be an integer from 1 to 1000')
    .optional()
    .openapi({ type: 'integer', minimum: 1, maximum: 1000, default: 100 }),
})

/** BUD-06 `HEAD /upload` request headers, named as sent so errors name the header. */
export const UploadRequirements = z.object({
  'x-sha-256': z
    .string({ error: 'is required: the SHA-256 of the blob, 64 lowercase hex' })
    .regex(HEX64, 'must be 64 lowercase hex')
    .openapi({ param: { name: 'x-sha-256', in: 'header' } }),
  'x-content-length': z
    .string({ error: 'is required: the size of the blob in bytes' })
    .regex(/^\d{1,15}$/, 'must be a size in bytes')
    .transform(Number)
    .openapi({ param: { name: 'x-content-length', in: 'header' }, type: 'integer' }),
})

export const UploadResult = z
  .object({
    blake3: z.string().openapi({ description: 'BLAKE3-256, the artifact address' }),
    sha256: z.string(),
    size: z.number().int(),
    url: z.string().openapi({ description: 'The blob at GET /<sha256> (BUD-01)' }),
    type: z.string().optional(),
    uploaded: z.number().int().openapi({ description: 'Unix seconds' }),
  })
  .openapi('BlobDescriptor', {
    description: "A Blossom blob descriptor (BUD-02) with the artifact's BLAKE3 added",
  })

export const Health = z.object({ status: z.literal('ok') }).openapi('Health')

/** The one error a failed validation becomes: 400 naming the field and the rule. */
export function toValidationError(error: z.ZodError): ValidationError {
  const issue = error.issues[0]
  const field = issue?.path.map(String).join('.') ?? ''
  return new ValidationError(field, issue?.message ?? 'is invalid')
}
