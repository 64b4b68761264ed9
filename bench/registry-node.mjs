// The registry node under test, in its own process so the load generator does not share its
// event loop: prints `{ "url": ... }` once listening and stops on SIGTERM.
import { startRegistryNode } from '../dist/registry/index.js'

const node = await startRegistryNode({
  dataDir: process.argv[2],
  host: '127.0.0.1',
  port: 0,
  logLevel: 'silent',
  catalogDebounceMs: 200,
  maxBlobBytes: 4 * 1024 ** 3,
})
process.stdout.write(JSON.stringify({ url: node.url }) + '\n')
process.once('SIGTERM', () => void node.close().then(() => process.exit(0)))
