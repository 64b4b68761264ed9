// Example apps for tests that package or validate them without running them: a temporary copy
// of an example's folder with a stand-in image archive, so no such test needs examples:images.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const EXAMPLES = path.resolve('examples/apps')

/** Copies examples/apps/<name> to a new folder, with stand-in bytes as its `image.tar`. */
export function copyExampleApp(name: string): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'archy-example-')), name)
  mkdirSync(dir)
  const source = path.join(EXAMPLES, name)
  for (const file of readdirSync(source)) {
    if (file !== 'image.tar') copyFileSync(path.join(source, file), path.join(dir, file))
  }
  // Never loaded: the tests that use a copy refuse or validate it before any `podman load`.
  writeFileSync(path.join(dir, 'image.tar'), Buffer.alloc(64 * 1024, 0x5a))
  return dir
}
