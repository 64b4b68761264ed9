// `npm run bench:relay`: sustained ingest of signed release events from 50 connections, the
// indexer's catch-up after it, and catalog REQ-to-EOSE latency over a store of a million
// events. The relay, the load generator and this driver are separate processes.
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { execCommand as exec } from '../node-agent/exec.js'
import { openEventStore } from '../relay/event-store.js'
import { detectBackend } from '../relay/verify.js'
import { makeReleaseEvents, makeStoreEvents } from './bench-events.js'
import type { PublishReport, QueryReport } from './relay-load.js'
import type { ServerStatus } from './relay-server.js'

const CONNECTIONS = 50
const IN_FLIGHT = 100
const PER_CONNECTION = Number(process.env.BENCH_EVENTS_PER_CONNECTION ?? 1200)
const STORE_EVENTS = Number(process.env.BENCH_STORE_EVENTS ?? 1_000_000)
const QUERY_ROUNDS = 2000
const CATCH_UP_LIMIT_MS = 15 * 60_000
// Issue #3's target on 2 cores, the load generator included.
const TARGET_EVENTS_PER_SECOND = 12_000

const here = new URL('.', import.meta.url)
const work = mkdtempSync(join(tmpdir(), 'archy-bench-relay-'))

// BENCH_PROFILE=DIR writes a V8 CPU profile of each child (relay, load generator) into DIR.
function startChild(script: string, args: string[]): ChildProcess {
  const profile = process.env.BENCH_PROFILE
  const execArgv = profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : []
  return fork(new URL(script, here), args, {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
}

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => {
      reject(new Error(`${child.spawnargs.join(' ')} exited (${code})`))
    }
    child.once('exit', onExit)
    child.once('message', (message) => {
      child.off('exit', onExit)
      resolve(message as T)
    })
  })
}

async function startServer(mode: 'ingest' | 'query', dataDir: string) {
  const child = startChild('./relay-server.js', [mode, dataDir])
  const { port } = await nextMessage<{ port: number }>(child)
  const status = (): Promise<ServerStatus> => {
    const reply = nextMessage<ServerStatus>(child)
    child.send('status')
    return reply
  }
  return { child, url: `ws://127.0.0.1:${port}/`, status }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN
}

const ms = (value: number): string => `${value.toFixed(2)} ms`
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`

async function header(): Promise<void> {
  const commit = await exec('git', ['rev-parse', '--short', 'HEAD'], { cwd: here.pathname })
  // Only what this benchmark runs: in a shared tree other folders may have changes of their own.
  const paths = ['relay', 'bench', 'registry', 'src']
  const dirty = await exec(
    'git',
    ['status', '--porcelain', '--untracked-files=no', '--', ...paths],
    {
      cwd: new URL('../..', here).pathname,
    },
  )
  console.log(
    `relay benchmark, commit ${commit.stdout.trim()}${dirty.stdout ? ' (+ local changes)' : ''}`,
  )
  console.log(
    `date ${new Date().toISOString()}, node ${process.version}, ${availableParallelism()} cores`,
  )
  // Machines given to a session differ: the figures compare only between runs on one model.
  console.log(`cpu: ${cpus()[0]?.model ?? 'unknown'}`)
  console.log(`signature backend: ${detectBackend()}`)
  // Other work on the machine skews every figure: the load average says how much there was.
  console.log(
    `load average before the run: ${loadavg()
      .map((value) => value.toFixed(1))
      .join(' ')}`,
  )
}

async function benchIngest(): Promise<void> {
  const signing = performance.now()
  const batches = makeReleaseEvents(CONNECTIONS, PER_CONNECTION)
  const total = CONNECTIONS * PER_CONNECTION
  const bytes = batches.flat().reduce((sum, event) => sum + JSON.stringify(event).length, 0)
  const eventsFile = join(work, 'events.jsonl')
  writeFileSync(eventsFile, batches.map((events) => JSON.stringify(events)).join('\n'))
  const signed = ((performance.now() - signing) / 1000).toFixed(1)
  console.log(
    `\ningest: ${total} release events, ${Math.round(bytes / total)} bytes on average, signed in ${signed} s`,
  )

  const dataDir = mkdtempSync(join(work, 'ingest-'))
  const server = await startServer('ingest', dataDir)
  const idle = await server.status()
  const load = startChild('./relay-load.js', ['publish', server.url, eventsFile, String(IN_FLIGHT)])
  const report = await nextMessage<PublishReport>(load)
  const acknowledgedAt = performance.now()
  const atOk = await server.status()

  const rate = report.events / report.seconds
  console.log(`  ${CONNECTIONS} connections x ${IN_FLIGHT} in flight`)
  const share = `${percent(rate / TARGET_EVENTS_PER_SECOND)} of the target`
  const counts = `${report.accepted} OK true of ${report.events} in ${report.seconds.toFixed(2)} s`
  console.log(`  ${Math.round(rate)} events/s (${counts}), ${share} ${TARGET_EVENTS_PER_SECOND}`)
  console.log(
    `  OK latency p50 ${ms(percentile(report.latenciesMs, 50))}, p99 ${ms(percentile(report.latenciesMs, 99))}`,
  )
  if (report.refusals.length > 0) console.log(`  refusals (first): ${report.refusals.join('; ')}`)
  console.log(`  indexed when the last OK arrived: ${atOk.indexed} of ${report.accepted}`)

  let status = atOk
  while (
    status.indexed < report.accepted &&
    performance.now() - acknowledgedAt < CATCH_UP_LIMIT_MS
  ) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    status = await server.status()
  }
  const catchUp = ((performance.now() - acknowledgedAt) / 1000).toFixed(1)
  const caughtUp = status.indexed >= report.accepted
  console.log(
    `  indexer catch-up after the last OK: ${caughtUp ? '' : 'not done after '}${catchUp} s (${status.accepted} accepted as releases)`,
  )
  printCpu(report, idle, atOk, status)
  console.log(`  relay process memory: ${mib(status.rss)} resident, ${mib(status.maxRss)} peak`)
  console.log(
    `  load average now: ${loadavg()
      .map((value) => value.toFixed(1))
      .join(' ')}`,
  )
  server.child.disconnect()
}

const percent = (ratio: number): string => `${(ratio * 100).toFixed(0)} %`

/**
 * CPU microseconds per acknowledged event, per part, during the burst: load-independent, unlike
 * events/s on a shared machine. The indexer's share of the main thread during the burst is its
 * per-event cost in the catch-up (when nothing else runs there) times the events it indexed.
 */
function printCpu(
  report: PublishReport,
  idle: ServerStatus,
  atOk: ServerStatus,
  done: ServerStatus,
): void {
  const perEvent = (us: number): number => us / report.events
  const main = perEvent(atOk.cpu.mainUs - idle.cpu.mainUs)
  const others = perEvent(atOk.cpu.otherUs - idle.cpu.otherUs)
  const load = perEvent(report.cpuUs)
  const caughtUp = done.indexed - atOk.indexed
  const indexerUs = caughtUp > 0 ? (done.cpu.mainUs - atOk.cpu.mainUs) / caughtUp : 0
  const indexerShare = perEvent(indexerUs * atOk.indexed)
  const total = main + others + load
  const budget = (2_000_000 / TARGET_EVENTS_PER_SECOND).toFixed(0)
  const us = (value: number): string => value.toFixed(0).padStart(5)
  console.log(`  CPU µs per acknowledged event (2 cores: ${budget} in all for the target):`)
  // With BENCH_STORE_THREAD=0 the main thread's figure holds the SQLite commit too.
  console.log(`    ${us(main)}  relay main thread (WebSocket, JSON, write policy)`)
  const indexed = `${atOk.indexed} events at ${indexerUs.toFixed(0)} µs each, its catch-up cost`
  console.log(`    ${us(indexerShare)}    of which the indexer (${indexed})`)
  console.log(`    ${us(others)}  relay's other threads (store writer, signature workers, GC, I/O)`)
  console.log(`    ${us(load)}  load generator`)
  const bound = 2_000_000 / total
  const boundShare = percent(bound / TARGET_EVENTS_PER_SECOND)
  const boundRate = `${Math.round(bound)} events/s (${boundShare} of the target)`
  console.log(`    ${us(total)}  in all: 2 cores bound this at ${boundRate}`)
}

async function benchQuery(): Promise<void> {
  const dataDir = mkdtempSync(join(work, 'query-'))
  const started = performance.now()
  const store = openEventStore(join(dataDir, 'relay.sqlite'))
  makeStoreEvents(STORE_EVENTS, (events) => store.saveBatch(events))
  store.close()
  const built = ((performance.now() - started) / 1000).toFixed(0)
  console.log(`\nquery: ${STORE_EVENTS} signed events stored directly in ${built} s`)

  const server = await startServer('query', dataDir)
  const load = startChild('./relay-load.js', ['query', server.url, String(QUERY_ROUNDS)])
  const report = await nextMessage<QueryReport>(load)
  const status = await server.status()
  const latencies = report.latenciesMs.slice(report.rounds / 10)
  console.log(
    `  catalog REQ ${JSON.stringify({ kinds: [30078], '#t': ['archipelago-marketplace'], limit: 100 })}`,
  )
  console.log(
    `  ${report.eventsPerAnswer} events per answer, ${report.rounds} rounds (first 10 % as warm-up)`,
  )
  console.log(
    `  REQ to EOSE p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}`,
  )
  await benchOtherShapes(server.url)
  console.log(`  relay process memory: ${mib(status.rss)} resident, ${mib(status.maxRss)} peak`)
  server.child.disconnect()
}

// Shapes that once sorted every match before their limit (a kind list, a tag without a kind,
// ten filters in one REQ): each should cost about what the catalog query costs.
async function benchOtherShapes(url: string): Promise<void> {
  const newest = Math.floor(Date.now() / 1000)
  const shapes: Array<[string, unknown[]]> = [
    ['{kinds:[1985],limit:1}', [{ kinds: [1985], limit: 1 }]],
    ['{kinds:[1,1985],limit:10}', [{ kinds: [1, 1985], limit: 10 }]],
    ['{#t:[archipelago-marketplace],limit:10}', [{ '#t': ['archipelago-marketplace'], limit: 10 }]],
    [
      '10 x {kinds:[1985],limit:1,until}',
      Array.from({ length: 10 }, (_, i) => ({ kinds: [1985], limit: 1, until: newest - i * 3600 })),
    ],
  ]
  for (const [name, filters] of shapes) {
    const args = ['query', url, String(QUERY_ROUNDS / 10), JSON.stringify(filters)]
    const report = await nextMessage<QueryReport>(startChild('./relay-load.js', args))
    const latencies = report.latenciesMs.slice(report.rounds / 10)
    const p50 = ms(percentile(latencies, 50))
    console.log(`  ${name.padEnd(40)} p50 ${p50}, p99 ${ms(percentile(latencies, 99))}`)
  }
}

try {
  await header()
  if (process.env.BENCH_SKIP_INGEST !== '1') await benchIngest()
  if (process.env.BENCH_SKIP_QUERY !== '1') await benchQuery()
} finally {
  rmSync(work, { recursive: true, force: true })
}
