import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createWriteStream, existsSync, readdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, it } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { decodeTracesProto } from '../../common/otlp/index.ts'
import { seededRandom } from '../../common/random.ts'
import type { Random } from '../../common/random.ts'
import { spanIdCounts } from '../../simulations/chaos/load.ts'
import { parseAckLog } from '../../tools/index.ts'
import type { AckedSpan } from '../../tools/index.ts'
import { repoRoot, tempDir } from '../helpers/broker.ts'
import { startNodeProcess } from '../helpers/node-process.ts'
import type { NodeProcess } from '../helpers/node-process.ts'

/**
 * Issue 4's crash test. The node runs as a child process (`livestore start`, embedded broker) with
 * short lifecycle settings, so traces are flushed to head blocks, blocks are cut and completed,
 * and offsets are committed all through the run. `livestore gen` (another child process) sends
 * load and logs every span the receiver acknowledged (`--ack-log`); its retries carry it over the
 * node's absences. The node is SIGKILLed `KILLS` times at seeded random moments — some right
 * after a head block was cut, while its completion runs — and restarted on the same data
 * directory and ports. After each restart (once /ready says 200), a checker asks the query API
 * for the acknowledged traces and requires every acknowledged span exactly once; the final check,
 * after gen stopped, covers every acknowledged span.
 *
 * CRASH_TEST_SEED picks another schedule; CRASH_TEST_KEEP=1 (or on-failure) keeps the data
 * directory with the ack log (acks.log) and the node's log (node.log) for a post-mortem. (Not
 * LIVESTORE_*: the node reads those as config.)
 */
const SEED = Number(process.env.CRASH_TEST_SEED ?? 4)
const KILLS = 6
/** Spans per second gen sends, and per request. */
const RATE = 1000
const BATCH = 50
/** Uptime after /ready before a kill: uniform in this range (ms). */
const KILL_AFTER_MS = [1500, 4000] as const
const QUERY_CONCURRENCY = 8
/** How long a span may take to show up after /ready (intermediate) or after gen stopped (final). */
const GRACE_MS = { intermediate: 5000, final: 15_000 }
/** How long after /ready the traces acknowledged since the kill are watched for duplicates. */
const WATCH_MS = 2000
const WATCH_TRACES = 30

/** The node's defaults (kafka.topic, live_store.consumer_group). */
const TOPIC = 'otlp_spans'
const GROUP = 'live-store'

const NODE_FLAGS = [
  '--partitions', '2',
  '--server.log_level', 'debug',
  '--live_store.max_trace_idle', '1s',
  '--live_store.max_trace_live', '3s',
  '--live_store.flush_check_period', '500ms',
  '--live_store.max_block_duration', '3s',
  '--live_store.commit_interval', '500ms',
  // /ready only once the replay reached the log end seen at start: everything acknowledged
  // before the kill must then be readable at once.
  '--live_store.readiness_target_lag', '1ms',
  // No limit may refuse an acknowledged span (the test is about durability, not limits).
  '--overrides.max_traces_per_user', '0',
]

describe('crash and restart under load', () => {
  it('returns every acknowledged span exactly once after each SIGKILL and restart', { timeout: 180_000 }, async (t) => {
    const started = performance.now()
    const dir = tempDir('livestore-crash-')
    const ackPath = join(dir.path, 'acks.log')
    const nodeLog = createWriteStream(join(dir.path, 'node.log'))
    const rand = seededRandom(SEED)
    const ports = { api: await freePort(), otlp: await freePort(), broker: await freePort() }
    const flags = ['--http-port', String(ports.api), '--otlp-http-port', String(ports.otlp), '--embedded-kafka-port', String(ports.broker), ...NODE_FLAGS]
    const events = new NodeEvents()
    let node: NodeProcess | undefined
    let gen: GenProcess | undefined
    let failed = true
    try {
      let instance = 0
      const start = async (): Promise<NodeProcess> => {
        const n = ++instance
        events.restarted()
        const p = await startNodeProcess(dir.path, flags, [], { onStderrLine: (line) => { if (!nodeLog.writableEnded) nodeLog.write(`#${n} ${line}\n`); events.line(line) } })
        try {
          await waitReady(p.api, 60_000)
        } catch (err) {
          p.child.kill('SIGKILL')
          throw err
        }
        return p
      }
      node = await start()
      gen = startGen(node.otlp, ackPath, SEED)
      let kills = 0
      let maxRestartMs = 0
      let checkedIntermediate = 0
      const problems: string[] = []
      for (let k = 1; k <= KILLS; k++) {
        // Odd kills at a random moment; even ones right after the next head-block cut (a
        // completion is then running), at most a few seconds later.
        const delay = KILL_AFTER_MS[0] + rand.next() * (KILL_AFTER_MS[1] - KILL_AFTER_MS[0])
        await sleep(k % 2 === 1 ? delay : delay / 2)
        if (k % 2 === 0) await events.nextCut(KILL_AFTER_MS[1])
        if (k % 2 === 0) await sleep(rand.int(150))
        const moment = events.describe()
        if (gen.exitCode() !== undefined) throw new Error(`gen exited early (${gen.exitCode()}):\n${gen.output()}`)
        node.child.kill('SIGKILL')
        await node.exited
        node = undefined
        kills++
        // Acknowledgements of the dead node reach the log within moments.
        await sleep(200)
        const before = (await readAcks(ackPath)).length
        const t0 = performance.now()
        node = await start()
        const restartMs = performance.now() - t0
        maxRestartMs = Math.max(maxRestartMs, restartMs)
        // Requests the dead node wrote to Kafka but did not answer are retried by gen: their
        // spans are then in the topic twice, and both copies may sit in memory together for
        // about max_trace_idle, where the API must still return them once. So what gets
        // acknowledged in the first moments after /ready is watched for duplicates.
        const watch = await watchDuplicates(node.api, ackPath, before, WATCH_MS)
        problems.push(...watch.duplicated.map((d) => `after kill ${k}, right after the restart: span ${d.span.spanId} of trace ${d.span.traceId} returned ${d.count} times`))
        // Then what was acknowledged since the kill (with a grace: it may still be on its way
        // from Kafka), the last traces before the kill (the ones a crash is likeliest to lose)
        // and a random sample of older ones.
        const acks = await readAcks(ackPath)
        const sample = [...acks.slice(before), ...sampleTraces(acks.slice(0, before), rand, 40, 40)]
        const c0 = performance.now()
        const r = await checkSpans(node.api, sample, GRACE_MS.intermediate)
        checkedIntermediate += r.spans
        t.diagnostic(`kill ${k} at +${((t0 - started) / 1000).toFixed(1)}s (${moment}); restart ${(restartMs / 1000).toFixed(1)}s (${events.lastStart()}); watched ${watch.traces} traces acknowledged after the kill ${watch.queries} times: duplicated ${watch.duplicated.length}; checked ${r.spans} of ${acks.length} acknowledged spans (${acks.length - before} since the kill) in ${r.traces} traces in ${Math.round(performance.now() - c0)} ms: lost ${r.lost.length}, duplicated ${r.duplicated.length}, late ${r.late}`)
        problems.push(...describeProblems(`after kill ${k}`, r))
      }

      const genSummary = await gen.stop()
      const all = await readAcks(ackPath)
      const c0 = performance.now()
      const final = await checkSpans(node.api, all, GRACE_MS.final)
      const checkMs = performance.now() - c0
      problems.push(...describeProblems('final', final))
      const kafka = await auditKafka(ports.broker, new Set(all.map((s) => s.spanId)))
      const seconds = (performance.now() - started) / 1000
      t.diagnostic(`gen: ${genSummary.replace(/\s+/g, ' ').trim()}`)
      t.diagnostic(`node: ${events.summary()}, blocks on disk ${countBlocks(dir.path)}, slowest restart ${(maxRestartMs / 1000).toFixed(1)}s`)
      t.diagnostic(`kafka: ${kafka.records} records, end offsets ${JSON.stringify(kafka.ends)}, committed ${JSON.stringify(kafka.committed)}; ${kafka.duplicated} acknowledged spans are in the topic more than once (client retries), ${kafka.missing} not at all`)
      t.diagnostic(`crash test (seed ${SEED}): ${final.spans} spans in ${final.traces} traces checked in ${Math.round(checkMs)} ms (and ${checkedIntermediate} after restarts), lost ${final.lost.length}, duplicated ${final.duplicated.length}, kills ${kills}, ${seconds.toFixed(1)}s`)
      for (const p of problems.slice(0, 20)) t.diagnostic(p)

      assert.equal(kills, KILLS)
      assert.ok(final.spans > 10 * RATE, `only ${final.spans} acknowledged spans were checked`)
      assert.ok(events.cuts > 0 && events.completions > 0, `no block was cut (${events.cuts}) or completed (${events.completions}): the lifecycle settings did not take`)
      assert.deepStrictEqual(problems, [], `${problems.length} problems; the first: ${problems.slice(0, 5).join('; ')}`)
      failed = false
    } finally {
      gen?.kill()
      node?.child.kill('SIGKILL')
      await Promise.all([gen?.exited, node?.exited])
      await new Promise((resolve) => nodeLog.end(resolve))
      if (process.env.CRASH_TEST_KEEP === '1' || (failed && process.env.CRASH_TEST_KEEP === 'on-failure')) t.diagnostic(`kept ${dir.path}`)
      else dir.remove()
    }
  })
})

/** A free loopback port (the node restarts on the same ports, so they are fixed up front). */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

async function waitReady (api: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const status = await fetch(`${api}/ready`).then(async (r) => { await r.arrayBuffer(); return r.status }, () => 0)
    if (status === 200) return
    if (performance.now() > deadline) throw new Error(`node not ready after ${timeoutMs} ms (last status ${status})`)
    await sleep(100)
  }
}

async function readAcks (path: string): Promise<AckedSpan[]> {
  const text = await readFile(path, 'utf8').catch(() => '')
  const { spans, bad } = parseAckLog(text)
  assert.equal(bad, 0, 'malformed lines in the ack log')
  return spans
}

/** The spans of the last `recent` traces acknowledged and of `random` others. */
function sampleTraces (spans: readonly AckedSpan[], rand: Random, recent: number, random: number): AckedSpan[] {
  const ids = [...new Set(spans.map((s) => s.traceId))]
  const chosen = new Set(ids.slice(-recent))
  const older = ids.slice(0, -recent)
  for (let i = 0; i < random && older.length > 0; i++) chosen.add(older.splice(rand.int(older.length), 1)[0] as string)
  return spans.filter((s) => chosen.has(s.traceId))
}

/**
 * Reads the whole topic back (a fresh consumer group) and counts the copies of each acknowledged
 * span, with the end offsets and the node's committed offsets: evidence for a loss (was it in
 * Kafka? behind the committed offset?) and proof that retries did put duplicates in the topic.
 */
async function auditKafka (brokerPort: number, acked: ReadonlySet<string>): Promise<{ records: number, ends: Record<string, string>, committed: Record<string, string>, duplicated: number, missing: number }> {
  const kafka = new Kafka({ clientId: 'crash-test-audit', brokers: [`127.0.0.1:${brokerPort}`], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  const ends: Record<string, string> = {}
  const committed: Record<string, string> = {}
  try {
    for (const p of await admin.fetchTopicOffsets(TOPIC)) ends[p.partition] = p.high
    for (const p of Object.keys(ends)) {
      const [topic] = await admin.fetchOffsets({ groupId: `${GROUP}-${p}`, topics: [TOPIC] })
      for (const o of topic?.partitions ?? []) if (String(o.partition) === p) committed[p] = o.offset
    }
  } finally {
    await admin.disconnect()
  }
  const copies = new Map<string, number>()
  let records = 0
  const consumer = kafka.consumer({ groupId: `crash-test-audit-${process.pid}`, maxWaitTimeInMs: 100 })
  await consumer.connect()
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
    const next: Record<string, bigint> = {}
    let timer: NodeJS.Timeout | undefined
    const done = new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`reading the topic back timed out at ${JSON.stringify(next, (_k, v: unknown) => typeof v === 'bigint' ? String(v) : v)}`)), 20_000)
      const check = (): void => {
        if (Object.entries(ends).every(([p, end]) => (next[p] ?? 0n) >= BigInt(end))) resolve()
      }
      check()
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            records++
            if (m.value !== null) {
              for (const rs of decodeTracesProto(m.value).resourceSpans) {
                for (const ss of rs.scopeSpans) {
                  for (const sp of ss.spans) {
                    const id = sp.spanId.toString('hex')
                    if (acked.has(id)) copies.set(id, (copies.get(id) ?? 0) + 1)
                  }
                }
              }
            }
            next[batch.partition] = BigInt(m.offset) + 1n
          }
          check()
        },
      }).catch(reject)
    })
    await done.finally(() => clearTimeout(timer))
  } finally {
    await consumer.disconnect()
  }
  let duplicated = 0
  for (const n of copies.values()) if (n > 1) duplicated++
  return { records, ends, committed, duplicated, missing: acked.size - copies.size }
}

/**
 * For `ms`, every 150 ms: the first WATCH_TRACES traces acknowledged after line `from` of the ack
 * log (gen's retries of the requests the dead node left unanswered come first) are asked for, and
 * any acknowledged span returned more than once is kept (its highest count).
 */
async function watchDuplicates (api: string, ackPath: string, from: number, ms: number): Promise<{ traces: number, queries: number, duplicated: { span: AckedSpan, count: number }[] }> {
  const deadline = performance.now() + ms
  const worst = new Map<string, { span: AckedSpan, count: number }>()
  const traces = new Set<string>()
  let queries = 0
  while (performance.now() < deadline) {
    const byTrace = new Map<string, string[]>()
    for (const s of (await readAcks(ackPath)).slice(from)) {
      if (byTrace.size < WATCH_TRACES || byTrace.has(s.traceId)) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s.spanId])
    }
    const queue = [...byTrace]
    await Promise.all(Array.from({ length: QUERY_CONCURRENCY }, async () => {
      for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
        const [traceId, ids] = next
        traces.add(traceId)
        queries++
        const got = await fetchSpanCounts(api, traceId)
        if (typeof got === 'string') continue
        for (const id of ids) {
          const count = got.get(id) ?? 0
          if (count > (worst.get(id)?.count ?? 1)) worst.set(id, { span: { traceId, spanId: id }, count })
        }
      }
    }))
    await sleep(150)
  }
  return { traces: traces.size, queries, duplicated: [...worst.values()] }
}

interface CheckResult {
  spans: number
  traces: number
  lost: AckedSpan[]
  duplicated: { span: AckedSpan, count: number }[]
  /** Spans found only on a later try (not yet consumed at the first). */
  late: number
  /** Traces whose last answer was not 200. */
  errors: string[]
}

/**
 * Asks `GET /api/v2/traces/<id>` for every trace of `spans` (QUERY_CONCURRENCY at once) and
 * counts each acknowledged span id in the answer: 0 = lost, > 1 = duplicated. A trace with a
 * missing span is asked again every 250 ms until `graceMs` passed (its records may still be on
 * their way from Kafka); a duplicate is final.
 */
async function checkSpans (api: string, spans: readonly AckedSpan[], graceMs: number): Promise<CheckResult> {
  const byTrace = new Map<string, Set<string>>()
  for (const s of spans) {
    let set = byTrace.get(s.traceId)
    if (set === undefined) byTrace.set(s.traceId, set = new Set())
    set.add(s.spanId)
  }
  const result: CheckResult = { spans: 0, traces: byTrace.size, lost: [], duplicated: [], late: 0, errors: [] }
  // In the order given (Map keeps first appearance): popped from the end, so reversed.
  const queue = [...byTrace].reverse()
  const deadline = performance.now() + graceMs
  const worker = async (): Promise<void> => {
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      const [traceId, ids] = next
      result.spans += ids.size
      for (let attempt = 0; ; attempt++) {
        const got = await fetchSpanCounts(api, traceId)
        const missing = typeof got === 'string' ? [...ids] : [...ids].filter((id) => !got.has(id))
        const duplicated = typeof got === 'string' ? [] : [...ids].filter((id) => (got.get(id) ?? 0) > 1)
        if (missing.length > 0 && duplicated.length === 0 && performance.now() < deadline) {
          await sleep(250)
          continue
        }
        if (typeof got === 'string') result.errors.push(`${traceId}: ${got}`)
        else if (missing.length === 0 && attempt > 0) result.late += ids.size
        for (const id of missing) result.lost.push({ traceId, spanId: id })
        for (const id of duplicated) result.duplicated.push({ span: { traceId, spanId: id }, count: typeof got === 'string' ? 0 : got.get(id) ?? 0 })
        break
      }
    }
  }
  await Promise.all(Array.from({ length: QUERY_CONCURRENCY }, worker))
  return result
}

/** Occurrences of each span id (hex) in the trace as the API returns it, or why it could not be read. */
async function fetchSpanCounts (api: string, traceId: string): Promise<Map<string, number> | string> {
  let res: Response
  try {
    res = await fetch(`${api}/api/v2/traces/${traceId}`)
  } catch (err) {
    return `fetch failed: ${(err as Error).message}`
  }
  const text = await res.text()
  return res.status === 200 ? spanIdCounts(text) : `HTTP ${res.status}: ${text.slice(0, 200)}`
}

/** One line per trace with lost or duplicated spans, and per unreadable trace. */
function describeProblems (when: string, r: CheckResult): string[] {
  const byTrace = (spans: readonly AckedSpan[]): Map<string, string[]> => {
    const out = new Map<string, string[]>()
    for (const s of spans) out.set(s.traceId, [...(out.get(s.traceId) ?? []), s.spanId])
    return out
  }
  return [
    ...[...byTrace(r.lost)].map(([trace, ids]) => `${when}: ${ids.length} acknowledged span(s) of trace ${trace} missing (${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ', …' : ''})`),
    ...r.duplicated.map((d) => `${when}: span ${d.span.spanId} of trace ${d.span.traceId} returned ${d.count} times`),
    ...r.errors.map((e) => `${when}: trace ${e}`),
  ]
}

/** Blocks (complete + WAL) under the WAL root, for the summary. */
function countBlocks (dataDir: string): string {
  const root = join(dataDir, 'wal')
  const count = (sub: string, depth: number): number => {
    const walk = (p: string, d: number): number => d === 0 ? readdirSync(p).length : readdirSync(p).reduce((n, name) => n + walk(join(p, name), d - 1), 0)
    const p = join(root, sub)
    return existsSync(p) ? walk(p, depth) : 0
  }
  return `${count('blocks', 1)} complete, ${count('wal', 2)} WAL/head`
}

/** Log lines of the block loader that show which crash-recovery paths a start took. */
const RECOVERY_MESSAGES = new Set(['deleting a WAL block completed before the last stop', 'deleting an empty WAL block', 'removed unfinished block writes', 'damaged block moved to quarantine'])

/**
 * What the node's (debug) log says, for choosing kill moments and for the diagnostics: head
 * blocks cut, blocks completed, and the start-up lines of the current instance.
 */
class NodeEvents {
  cuts = 0
  completions = 0
  restarts = 0
  #lastEvent: { msg: string, at: number } | undefined
  #cutWaiters: (() => void)[] = []
  #loaded = ''
  #from = ''
  /** Warnings and errors, and the recovery steps of a start, by message. */
  readonly #notable = new Map<string, number>()

  restarted (): void {
    this.restarts++
    this.#lastEvent = undefined
    this.#loaded = ''
    this.#from = ''
  }

  line (line: string): void {
    let rec: { level?: number, msg?: string, complete?: number, wal?: number, from?: Record<string, string> }
    try { rec = JSON.parse(line) as typeof rec } catch { return }
    if ((rec.level ?? 0) >= 40 || RECOVERY_MESSAGES.has(rec.msg ?? '')) this.#notable.set(rec.msg ?? '', (this.#notable.get(rec.msg ?? '') ?? 0) + 1)
    if (rec.msg === 'cut head block') {
      this.cuts++
      this.#lastEvent = { msg: 'cut', at: performance.now() }
      for (const w of this.#cutWaiters.splice(0)) w()
    } else if (rec.msg === 'completed WAL block') {
      this.completions++
      this.#lastEvent = { msg: 'completion', at: performance.now() }
    } else if (rec.msg === 'loaded blocks') {
      this.#loaded = `loaded ${rec.complete} complete + ${rec.wal} WAL blocks`
    } else if (rec.msg === 'consuming partitions') {
      this.#from = `from ${JSON.stringify(rec.from)}`
    }
  }

  /** Resolves at the next head-block cut, or after `timeoutMs`. */
  nextCut (timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs)
      this.#cutWaiters.push(() => { clearTimeout(timer); resolve() })
    })
  }

  /** The kill moment relative to the last cut or completion. */
  describe (): string {
    const e = this.#lastEvent
    return e === undefined ? 'no cut yet' : `${Math.round(performance.now() - e.at)} ms after a ${e.msg}`
  }

  lastStart (): string {
    return [this.#loaded, this.#from].filter((s) => s !== '').join(', ')
  }

  summary (): string {
    const notable = [...this.#notable].map(([msg, n]) => `"${msg}" ×${n}`).join(', ')
    return `${this.cuts} head blocks cut, ${this.completions} completed, ${this.restarts} starts${notable === '' ? '' : `; logged ${notable}`}`
  }
}

interface GenProcess {
  exited: Promise<unknown>
  exitCode: () => number | null | undefined
  output: () => string
  /** SIGINT (gen stops, prints its summary and closes the ack log); resolves with its stdout. */
  stop: () => Promise<string>
  kill: () => void
}

/** `livestore gen` as a child process, with retries that outlast a node restart. */
function startGen (otlp: string, ackLog: string, seed: number): GenProcess {
  const child: ChildProcess = spawn(process.execPath, [join(repoRoot, 'bin/livestore.js'), 'gen',
    '--url', otlp, '--ack-log', ackLog, '--rate', String(RATE), '--batch', String(BATCH), '--concurrency', '2',
    '--duration', '150s', '--seed', String(seed), '--max-retries', '200', '--retry-backoff', '50ms', '--max-backoff', '500ms'],
  { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  const stderr: string[] = []
  let code: number | null | undefined
  child.stdout?.on('data', (c: Buffer) => { stdout += c.toString('utf8') })
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (l) => { stderr.push(l); if (stderr.length > 20) stderr.shift() })
  const exited = new Promise<void>((resolve) => child.once('exit', (c) => { code = c; resolve() }))
  return {
    exited,
    exitCode: () => code,
    output: () => stdout + stderr.join('\n'),
    stop: async () => {
      child.kill('SIGINT')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
      if (code !== 0 && code !== 1) throw new Error(`gen exited with ${code}:\n${stdout}${stderr.join('\n')}`)
      return stdout
    },
    kill: () => { if (code === undefined) child.kill('SIGKILL') },
  }
}
