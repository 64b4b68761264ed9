// A reference for the blob benchmark: plain node:http streaming one file with fs, as fast as
// Node serves a file without a framework. Prints `{ "url": ... }` once listening.
import { createReadStream, statSync } from 'node:fs'
import { createServer } from 'node:http'

const file = process.argv[2]
const { size } = statSync(file)
const server = createServer((_request, response) => {
  response.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' })
  createReadStream(file, { highWaterMark: 1024 * 1024 }).pipe(response)
})
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` }) + '\n')
})
process.once('SIGTERM', () => server.close(() => process.exit(0)))
