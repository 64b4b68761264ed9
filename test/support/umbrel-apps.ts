// The fifteen verbatim Umbrel apps the importer is tested on (test/fixtures/umbrel-apps, see its
// SOURCE.md); ARCHY_UMBREL_APPS names another copy. They are inputs only and never edited.
import { fileURLToPath } from 'node:url'

export const UMBREL_APPS =
  process.env.ARCHY_UMBREL_APPS ??
  fileURLToPath(new URL('../fixtures/umbrel-apps', import.meta.url))
