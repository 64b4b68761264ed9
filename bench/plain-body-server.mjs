// A reference for the catalog benchmark: plain node:http answering every request with the same
// in-memory body of `argv[2]` bytes, the ceiling of this machine and load generator for that size.
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'

const body = randomBytes(Number(process.argv[2]))
const server = createServer((_request, response) => {
  response.writeHead(200, { 'content-length': body.length, 'content-type': 'application/json' })
  response.end(body)
})
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` }) + '\n')
})
process.once('SIGTERM', () => server.close(() => process.exit(0)))
