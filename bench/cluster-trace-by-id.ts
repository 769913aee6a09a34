import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { encodeTracesProto } from '../common/otlp/index.ts'
import type { Span, TracesData } from '../common/otlp/model.ts'
import { seededRandom } from '../common/random.ts'
import type { Random } from '../common/random.ts'
import { httpAgent, httpRequest, parseMetricSums, quantile, sleep } from './helpers/http.ts'
import { killQuietly, startLocalCluster, waitHealthy } from './helpers/local-cluster.ts'
import { cpuSeconds } from './helpers/node-child.ts'
import type { ClusterNode, LocalCluster } from './helpers/local-cluster.ts'
import { report } from './report.ts'

/**
 * Trace by ID on the 6-node, 2-zone cluster (issue 5; target p99 ≤ 25 ms): `livestore cluster
 * --zones 2 --nodes-per-zone 3 --partitions 3 --json` (every node its own process, plus the
 * broker), default node settings except `overrides.max_traces_per_user 0` (the default 10,000
 * live traces per tenant would refuse most of them: each zone's consumer of a partition holds a
 * third of all traces). Loads CLUSTER_TRACES (default 100,000) traces of 2–5 spans in OTLP
 * protobuf requests of `--batch` traces, round-robin over every node's receiver, 6 requests in
 * flight; waits until a random sample of them is readable whole from every node (by then the
 * default `max_trace_idle` 5 s has moved them from memory to the WAL head block) and until the
 * nodes are idle (no live trace, no block waiting for completion, each node < 0.15 cores); then
 * `--queries` `GET /api/traces/{id}` for random loaded ids on random nodes, `--concurrency` in
 * flight (after `--sequential` queries one at a time), each answer checked (200 and every span
 * of the trace); then SIGKILLs every node of
 * zone b and repeats the queries against the zone-a nodes (at once: the first queries run while
 * zone b still looks healthy from zone a).
 *   CLUSTER_TRACES=100000 npm run bench -- cluster-trace-by-id [--queries 2000] [--concurrency 4] [--sequential 300] [--batch 500]
 */
const { values } = parseArgs({ options: { queries: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '4' }, batch: { type: 'string', default: '500' }, sequential: { type: 'string', default: '300' } } })
const traceCount = Number(process.env.CLUSTER_TRACES ?? 100_000)
const queries = Number(values.queries)
const concurrency = Number(values.concurrency)
const sequential = Number(values.sequential)
const perRequest = Number(values.batch)
const bench = 'cluster-trace-by-id'
const agent = httpAgent(32)
const partitions = 3

/** Trace i: its id and span count are a pure function of i (regenerated when checking answers). */
function traceId (i: number): Buffer {
  const r = seededRandom(0x5eed0000 + i)
  return Buffer.from(Array.from({ length: 16 }, () => r.int(256)))
}
function spanCount (i: number): number { return 2 + ((i * 2654435761) >>> 0) % 4 }

function batch (from: number, count: number, nowNs: bigint): TracesData {
  const spans: Span[] = []
  for (let t = from; t < from + count; t++) {
    const id = traceId(t)
    const n = spanCount(t)
    for (let s = 0; s < n; s++) {
      const spanId = Buffer.alloc(8); spanId.writeUInt32BE(t + 1, 0); spanId.writeUInt32BE(s + 1, 4)
      const parent = Buffer.alloc(s === 0 ? 0 : 8); if (s > 0) { parent.writeUInt32BE(t + 1, 0); parent.writeUInt32BE(1, 4) }
      const start = nowNs + BigInt(s) * 1_000_000n
      spans.push({
        traceId: id, spanId, traceState: '', parentSpanId: parent, flags: 1,
        name: s === 0 ? 'GET /api/item' : `db.query ${s}`, kind: s === 0 ? 2 : 3, startTimeUnixNano: start, endTimeUnixNano: start + 5_000_000n,
        attributes: [{ key: 'http.method', value: { kind: 'string', value: 'GET' } }, { key: 'http.status_code', value: { kind: 'int', value: 200n } }],
        droppedAttributesCount: 0, events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, status: { code: 0, message: '' },
      })
    }
  }
  return { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { kind: 'string', value: 'bench' } }], droppedAttributesCount: 0 }, scopeSpans: [{ scope: null, spans, schemaUrl: '' }], schemaUrl: '' }] }
}

/** Sends every trace; retries 429/5xx and network errors (bounded). */
async function load (nodes: readonly ClusterNode[]): Promise<{ requests: number, spans: number, partial: number, retries: number }> {
  const out = { requests: 0, spans: 0, partial: 0, retries: 0 }
  let next = 0
  const nowNs = BigInt(Date.now()) * 1_000_000n
  await Promise.all(Array.from({ length: 6 }, async (_, worker) => {
    for (let k = worker; ; k += 6) {
      const from = next
      if (from >= traceCount) return
      next += perRequest
      const count = Math.min(perRequest, traceCount - from)
      const body = encodeTracesProto(batch(from, count, nowNs))
      const node = nodes[k % nodes.length] as ClusterNode
      for (let attempt = 0; ; attempt++) {
        const res = await httpRequest(`http://127.0.0.1:${node.otlp}/v1/traces`, { agent, method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' }, timeoutMs: 30_000 }).catch((err: unknown) => err as Error)
        if (!(res instanceof Error) && res.status === 200) {
          out.requests++
          if (res.body.length > 0) out.partial++ // an ExportTraceServiceResponse with partial_success
          break
        }
        if (attempt >= 10 || (!(res instanceof Error) && res.status < 429)) throw new Error(`push to ${node.node} failed: ${res instanceof Error ? res.message : `${res.status} ${res.body.toString('utf8').slice(0, 200)}`}`)
        out.retries++
        await sleep(200 * 2 ** Math.min(attempt, 5))
      }
      for (let t = from; t < from + count; t++) out.spans += spanCount(t)
    }
  }))
  return out
}

interface QueryResult { ms: number, ok: boolean, status: number }

async function query (node: ClusterNode, i: number): Promise<QueryResult> {
  const res = await httpRequest(`http://127.0.0.1:${node.http}/api/traces/${traceId(i).toString('hex')}`, { agent, timeoutMs: 30_000 }).catch(() => undefined)
  if (res === undefined) return { ms: NaN, ok: false, status: 0 }
  // Whole: exactly the trace's spans (span ids are unique per trace and span).
  const ok = res.status === 200 && res.body.toString('utf8').match(/"spanId"/g)?.length === spanCount(i)
  return { ms: res.ms, ok, status: res.status }
}

/** `count` queries of random ids on random nodes of `targets`, `concurrency` in flight. */
async function measure (targets: readonly ClusterNode[], count: number, rnd: Random, inFlight = concurrency): Promise<{ lat: number[], failures: number, statuses: Record<string, number> }> {
  const lat: number[] = []
  const statuses: Record<string, number> = {}
  let failures = 0
  let issued = 0
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (issued < count) {
      issued++
      const r = await query(targets[rnd.int(targets.length)] as ClusterNode, rnd.int(traceCount))
      statuses[r.status] = (statuses[r.status] ?? 0) + 1
      if (r.ok) lat.push(r.ms)
      else failures++
    }
  }))
  return { lat: lat.sort((a, b) => a - b), failures, statuses }
}

function reportLatency (phase: string, r: { lat: number[], failures: number, statuses: Record<string, number> }, extra: Record<string, unknown>): void {
  const params = { traces: traceCount, queries: r.lat.length + r.failures, concurrency, failures: r.failures, statuses: r.statuses, load1: Math.round((loadavg()[0] ?? 0) * 10) / 10, ...extra }
  report(bench, `${phase}_p50_ms`, quantile(r.lat, 0.5), 'ms', params)
  report(bench, `${phase}_p99_ms`, quantile(r.lat, 0.99), 'ms', params)
  report(bench, `${phase}_max_ms`, r.lat[r.lat.length - 1] ?? NaN, 'ms', params)
}

/** Cores each node used since `before` (taken at `t0`). */
async function nodeCpu (nodes: readonly ClusterNode[], before: readonly number[], t0: number): Promise<Record<string, number>> {
  const seconds = (performance.now() - t0) / 1000
  const after = await Promise.all(nodes.map((n) => cpuSeconds(n.pid)))
  return Object.fromEntries(nodes.map((n, k) => [n.node, Math.round(((after[k] as number) - (before[k] as number)) / seconds * 100) / 100]))
}

let cluster: LocalCluster | undefined
let exitCode = 0
const cleanup = async (): Promise<void> => { await cluster?.stop(); agent.destroy() }
process.once('SIGINT', () => { void cleanup().finally(() => process.exit(130)) })
process.once('SIGTERM', () => { void cleanup().finally(() => process.exit(143)) })

try {
  cluster = await startLocalCluster({ zones: 2, nodesPerZone: 3, partitions, extra: ['--overrides.max_traces_per_user', '0'] })
  const nodes = cluster.nodes
  if (!await waitHealthy(nodes, partitions, agent, 60_000)) throw new Error('the cluster did not turn healthy (3 active partitions, every owner healthy) within 60 s')

  const t0 = performance.now()
  const sent = await load(nodes)
  const sendSeconds = (performance.now() - t0) / 1000
  report(bench, 'load_send_spans_per_s', sent.spans / sendSeconds, 'spans/s', { traces: traceCount, spans: sent.spans, requests: sent.requests, partialSuccess: sent.partial, retries: sent.retries, seconds: Math.round(sendSeconds * 10) / 10 })

  // Readable: a sample of ids (the last one sent among them), whole, from every node.
  const check = seededRandom(7)
  const sample = [...Array.from({ length: 100 }, () => check.int(traceCount)), traceCount - 1]
  const deadline = performance.now() + 300_000
  for (;;) {
    const results = await Promise.all(nodes.map(async (n) => {
      let ok = 0
      let next = 0
      await Promise.all(Array.from({ length: 4 }, async () => {
        while (next < sample.length) if ((await query(n, sample[next++] as number)).ok) ok++
      }))
      return ok
    }))
    if (process.env.CLUSTER_BENCH_DEBUG !== undefined) console.error(`readable after ${Math.round(performance.now() - t0)} ms: ${results.join(', ')} of ${sample.length}`)
    if (results.every((ok) => ok === sample.length)) break
    if (performance.now() > deadline) throw new Error(`not readable after 300 s: ${results.join(', ')} of ${sample.length} per node`)
    await sleep(500)
  }
  report(bench, 'load_until_readable_s', (performance.now() - t0) / 1000, 's', { traces: traceCount, sample: sample.length, what: 'first send until a sample is readable whole from every node (includes the last check round)' })
  // Settle: nothing left in memory or waiting for completion, and the nodes idle (block
  // completion encodes Parquet in the background and would compete with the queries).
  const settle0 = performance.now()
  let where: Record<string, unknown>[] = []
  for (;;) {
    const cpu0 = await Promise.all(nodes.map((n) => cpuSeconds(n.pid)))
    await sleep(2000)
    const cpu = await Promise.all(nodes.map(async (n, k) => ((await cpuSeconds(n.pid)) - (cpu0[k] as number)) / 2))
    where = await Promise.all(nodes.map(async (n, k) => {
      const res = await httpRequest(`http://127.0.0.1:${n.http}/metrics`, { agent })
      const m = parseMetricSums(res.body.toString('utf8'))
      const get = (name: string): number | null => m.get(name) ?? null
      return {
        node: n.node, created: get('tempo_live_store_traces_created_total'), live: get('tempo_live_store_live_traces'), blocksCut: get('tempo_live_store_blocks_cut_total'),
        blocksCompleted: get('tempo_live_store_blocks_completed_total'), completeQueue: get('tempo_live_store_complete_queue_length'), cores: Math.round((cpu[k] as number) * 100) / 100,
      }
    }))
    const idle = where.every((w) => !((w.live as number | null) ?? 0) && !((w.completeQueue as number | null) ?? 0) && (w.cores as number) < 0.15)
    if (idle || performance.now() - settle0 > 180_000) {
      report(bench, 'settle_s', (performance.now() - settle0) / 1000, 's', { idle, what: 'after readable: until no live traces, no block waiting for completion, every node under 0.15 cores' })
      break
    }
  }

  const rnd = seededRandom(42)
  await measure(nodes, 200, rnd) // warm-up
  // One at a time first: the latency without queueing for the 2 cores.
  if (sequential > 0) reportLatency('all_nodes_one_at_a_time', await measure(nodes, sequential, rnd, 1), { targets: nodes.length, concurrency: 1 })
  const cpuBefore = await Promise.all(nodes.map((n) => cpuSeconds(n.pid)))
  const q0 = performance.now()
  const all = await measure(nodes, queries, rnd)
  const nodeCores = await nodeCpu(nodes, cpuBefore, q0)
  reportLatency('all_nodes', all, { targets: nodes.length, nodeCores, whereTraces: where })

  const zoneA = nodes.filter((n) => n.zone === 'a')
  for (const n of nodes) if (n.zone === 'b') killQuietly(n.pid)
  const killed = performance.now()
  const cpuA = await Promise.all(zoneA.map((n) => cpuSeconds(n.pid)))
  const afterKill = await measure(zoneA, queries, rnd)
  reportLatency('zone_b_killed', afterKill, { targets: zoneA.length, startedMsAfterKill: 0, tookS: Math.round((performance.now() - killed) / 100) / 10, nodeCores: await nodeCpu(zoneA, cpuA, killed) })
} catch (err) {
  console.error('cluster-trace-by-id failed:', err, cluster?.stderr() ?? '')
  exitCode = 1
} finally {
  await cleanup()
}
process.exit(exitCode)
