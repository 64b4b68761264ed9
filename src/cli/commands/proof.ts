// `archy proof verify`: checks a W3C Data Integrity proof (eddsa-jcs-2022) on any JSON document.
// A verificationMethod that is not a did:key is never fetched: pass --public-key instead.
import { readFile } from 'node:fs/promises'

import { ArchyError, UsageError } from '../../errors.js'
import { decodeMultikey } from '../../identity/did-key.js'
import { verifyDocument } from '../../proof/data-integrity.js'
import { flagOption, stringOption, type CommandSpec } from '../command.js'

export const commands: CommandSpec[] = [
  {
    noun: 'proof',
    verb: 'verify',
    summary: 'check an eddsa-jcs-2022 Data Integrity proof on a JSON document',
    args: 'FILE',
    minArgs: 1,
    maxArgs: 1,
    options: {
      'public-key': {
        type: 'string',
        valueName: 'MULTIBASE',
        description:
          'verify with this Multikey (z6Mk...): needed for a verificationMethod that is not a ' +
          'did:key, and must be the key of one that is',
      },
      json: { type: 'boolean', description: 'print the result as JSON' },
    },
    async run(input) {
      const file = input.positionals[0]!
      const publicKey = stringOption(input, 'public-key')
      if (publicKey !== undefined) {
        try {
          decodeMultikey(publicKey)
        } catch {
          throw new UsageError('--public-key must be an Ed25519 Multikey (z6Mk...)')
        }
      }
      const document = await readJson(file)
      const proofs = verifyDocument(document, { publicKey })
      if (flagOption(input, 'json')) {
        input.io.out(JSON.stringify({ file, valid: true, proofs }, null, 2))
      } else {
        for (const proof of proofs) input.io.out(`${file}: valid, signed by ${proof.did}`)
      }
      return 0
    },
  },
]

async function readJson(file: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new ArchyError('io', `cannot read ${file}: ${(error as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new ArchyError('invalid', `${file}: not valid JSON`)
  }
}
