// Writes transcripts.json by driving hoytech/negentropy's reference C++ test harness
// (test/cpp/harness.cpp at commit 6edb041, built with `make harness`; it reads `item,<ts>,<id>`,
// `seal`, `initiate` and `msg,<hex>` lines). Usage: node generate.mjs <harness> <out.json>
// Record sets come from a fixed SHA-256 counter, so a rerun writes the same file.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { createInterface } from 'node:readline'

const HARNESS = process.argv[2]
const OUT = process.argv[3]

let counter = 0
const random = () => {
  const h = createHash('sha256').update(`negentropy-vectors-${counter++}`).digest()
  return h.readUInt32BE(0) / 2 ** 32
}
const randomId = () => createHash('sha256').update(`id-${counter++}`).digest('hex')

function harness(frameSizeLimit) {
  const env = { ...process.env }
  if (frameSizeLimit) env.FRAMESIZELIMIT = String(frameSizeLimit)
  const child = spawn(HARNESS, [], { env, stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = []
  const waiters = []
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line)
    waiters.shift()?.()
  })
  return {
    send: (line) => child.stdin.write(line + '\n'),
    async read() {
      while (lines.length === 0) await new Promise((r) => waiters.push(r))
      return lines.shift()
    },
    end: () => child.stdin.end(),
  }
}

async function transcript(name, a, b, limits = {}) {
  const ini = harness(limits.initiator)
  const res = harness(limits.responder)
  for (const [t, id] of a) ini.send(`item,${t},${id}`)
  for (const [t, id] of b) res.send(`item,${t},${id}`)
  ini.send('seal')
  res.send('seal')
  ini.send('initiate')
  const messages = []
  const have = []
  const need = []
  let line = await ini.read()
  for (;;) {
    const query = line.slice(4)
    messages.push(query)
    res.send(`msg,${query}`)
    const answer = (await res.read()).slice(4)
    messages.push(answer)
    ini.send(`msg,${answer}`)
    for (;;) {
      line = await ini.read()
      if (line.startsWith('have,')) have.push(line.slice(5))
      else if (line.startsWith('need,')) need.push(line.slice(5))
      else break
    }
    if (line === 'done') break
  }
  ini.end()
  res.end()
  const items = (list) => list.map(([t, id]) => `${t},${id}`)
  return {
    name,
    frameSizeLimit: { initiator: limits.initiator ?? 0, responder: limits.responder ?? 0 },
    initiatorItems: items(a),
    responderItems: items(b),
    messages,
    have: have.sort(),
    need: need.sort(),
  }
}

function sets(shared, onlyA, onlyB, spread) {
  const make = (n) =>
    Array.from({ length: n }, () => [1_677_970_534 + Math.floor(random() * spread), randomId()])
  const common = make(shared)
  return [
    [...common, ...make(onlyA)],
    [...common, ...make(onlyB)],
  ]
}

const cases = []
cases.push(await transcript('both sets empty', [], []))
cases.push(await transcript('small sets, id lists only', ...sets(10, 5, 5, 100)))
cases.push(await transcript('400 records with equal timestamps, a few differences', ...sets(400, 4, 3, 10)))
cases.push(await transcript('800 records, 2 % differences each way', ...sets(800, 16, 16, 100_000)))
cases.push(
  await transcript('responder frame size limit 4096, initiator empty', ...sets(0, 0, 300, 10_000), {
    responder: 4096,
  }),
)
cases.push(
  await transcript('both frame size limits 4096, 250 records each way', ...sets(150, 250, 250, 5000), {
    initiator: 4096,
    responder: 4096,
  }),
)

// The protocol-version exchange of the reference's test/protoversion.pl.
const proto = harness()
proto.send('item,12345,' + 'e'.repeat(64))
proto.send('seal')
proto.send('msg,6100000200')
const v1 = (await proto.read()).slice(4)
proto.end()
const upgrade = harness()
upgrade.send('item,12345,' + 'e'.repeat(64))
upgrade.send('seal')
upgrade.send('msg,62aabbccddeeff')
const fallback = (await upgrade.read()).slice(4)
upgrade.send('msg,6100000200')
const again = (await upgrade.read()).slice(4)
upgrade.end()
if (again !== v1) throw new Error('reference did not fall back')

writeFileSync(
  OUT,
  JSON.stringify(
    {
      responderExchanges: [
        { items: ['12345,' + 'e'.repeat(64)], query: '6100000200', answer: v1 },
        { items: ['12345,' + 'e'.repeat(64)], query: '62aabbccddeeff', answer: fallback },
      ],
      transcripts: cases,
    },
    null,
    1,
  ) + '\n',
)
console.log(cases.map((c) => [c.name, c.messages.length, c.have.length, c.need.length, Math.max(...c.messages.map((m) => m.length / 2))]))
