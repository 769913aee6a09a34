import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { encodeTracesProto } from '../common/otlp/index.ts'
import { DEFAULT_TENANT } from '../ingest/record-format.ts'
import { generateTraces } from '../tools/index.ts'
import { completeParentPath } from '../wal/layout.ts'
import { countSpans, writeStampedBlocks } from './helpers/blocks.ts'
import { httpAgent, httpRequest, quantile, sleep } from './helpers/http.ts'
import { startNodeChild } from './helpers/node-child.ts'
import { report } from './report.ts'

/**
 * `GET /api/search` latency on one node holding ~1M spans (issue 6; about 15 min of traffic at
 * the default retention): `--spans` of realistic traces (the load generator's shop) are written
 * as complete blocks straight into the node's WAL layout (as trace-by-id-blocks does), the node
 * loads them at start, and `--live-traces` more traces go through OTLP → Kafka into memory (and
 * head blocks), so both paths are searched. Then each query of a realistic mix runs `--runs`
 * times, one at a time, with Tempo's default limit (20) over the whole window; p50/p99 per query.
 * Every answer is checked: HTTP 200 and, where the data must have matches, at least one trace.
 *
 *   npm run bench -- search [--spans 1000000] [--live-traces 2000] [--runs 20] [--traces-per-block 2000]
 */
const { values } = parseArgs({
  options: {
    spans: { type: 'string', default: '1000000' },
    'traces-per-block': { type: 'string', default: '2000' },
    'live-traces': { type: 'string', default: '2000' },
    runs: { type: 'string', default: '20' },
    partitions: { type: 'string', default: '4' },
  },
})
const B = 'search'
const targetSpans = Number(values.spans)
const perBlock = Number(values['traces-per-block'])
const liveTraces = Number(values['live-traces'])
const runs = Number(values.runs)
const partitions = Number(values.partitions)
if (loadavg()[0]! > 1) console.error(`${B}: the machine is busy (load average ${loadavg()[0]!.toFixed(1)}); figures may be disturbed`)

/** The query mix: what people look for in a shop's traces; `hits` = the data certainly has matches. */
const QUERIES: { name: string, q: string, hits: boolean }[] = [
  { name: 'service', q: '{ resource.service.name = "frontend" }', hits: true },
  { name: 'service_errors', q: '{ resource.service.name = "payment" && status = error }', hits: true },
  { name: 'http_5xx', q: '{ span.http.status_code >= 500 }', hits: true },
  { name: 'slow_spans', q: '{ duration > 50ms }', hits: true },
  { name: 'route_regex', q: '{ name =~ "POST /api/.*" }', hits: true },
  { name: 'db_slow', q: '{ span.db.system = "postgresql" && duration > 5ms }', hits: true },
  { name: 'structural', q: '{ resource.service.name = "frontend" } >> { resource.service.name = "payment" && status = error }', hits: true },
  { name: 'count_pipeline', q: '{ span.db.system = "redis" } | count() > 2', hits: true },
  { name: 'generic_attr', q: '{ span.cache.hit = false }', hits: true },
  { name: 'rare_miss', q: '{ resource.service.name = "frontend" && span.http.status_code = 418 }', hits: false },
]

const dir = mkdtempSync(join(tmpdir(), 'livestore-bench-search-'))
const agent = httpAgent(2)
let exitCode = 0
try {
  const now = Date.now()
  const data = generateTraces({ seed: 21, traces: perBlock, now })
  const spansPerBlock = countSpans(data)
  const blockCount = Math.max(1, Math.round(targetSpans / spansPerBlock))
  const w0 = performance.now()
  const written = await writeStampedBlocks({ dir: completeParentPath(join(dir, 'wal'), DEFAULT_TENANT), tenant: DEFAULT_TENANT, data, blocks: blockCount, partitions })
  const spans = written.reduce((n, w) => n + w.meta.spanCount, 0)
  const bytes = written.reduce((n, w) => n + w.meta.sizeBytes, 0)
  report(B, 'setup_block_spans', spans, 'spans', { blocks: blockCount, tracesPerBlock: perBlock, blockBytes: Math.round(bytes / blockCount), writeSeconds: Math.round((performance.now() - w0) / 100) / 10 })

  const node = await startNodeChild(dir, { args: ['--live_store.partitions', Array.from({ length: partitions }, (_, p) => p).join(','), '--overrides.max_traces_per_user', '0'], startTimeoutMs: 120_000 })
  try {
    // Live traces: through OTLP, so they sit in memory (and, after max_trace_idle, head blocks).
    const live = generateTraces({ seed: 22, traces: liveTraces, now: Date.now() })
    const body = encodeTracesProto(live)
    const res = await httpRequest(`${node.otlp}/v1/traces`, { agent, method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' }, timeoutMs: 60_000 })
    if (res.status !== 200) throw new Error(`OTLP push answered ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`)
    // Wait until the node is ready (blocks loaded, Kafka caught up).
    const ready0 = performance.now()
    while ((await httpRequest(`${node.api}/ready`, { agent }).catch(() => ({ status: 0 }))).status !== 200) {
      if (performance.now() - ready0 > 120_000) throw new Error('node not ready after 120 s')
      await sleep(200)
    }
    await sleep(1000)
    const totalSpans = spans + countSpans(live)
    const start = Math.floor(now / 1000) - 3600
    const end = Math.floor(Date.now() / 1000) + 3600
    for (const { name, q, hits } of QUERIES) {
      const url = `${node.api}/api/search?q=${encodeURIComponent(q)}&start=${start}&end=${end}`
      const lat: number[] = []
      let traces = 0
      let inspected = 0
      for (let r = 0; r < runs + 2; r++) {
        const out = await httpRequest(url, { agent, timeoutMs: 60_000 })
        if (out.status !== 200) throw new Error(`${name}: ${out.status} ${out.body.toString('utf8').slice(0, 300)}`)
        const json = JSON.parse(out.body.toString('utf8')) as { traces?: unknown[], metrics?: { inspectedSpans?: string } }
        traces = json.traces?.length ?? 0
        inspected = Number(json.metrics?.inspectedSpans ?? 0)
        if (hits && traces === 0) throw new Error(`${name}: no traces found for ${q}`)
        if (!hits && traces !== 0) throw new Error(`${name}: ${traces} traces found for ${q}, expected none`)
        if (r >= 2) lat.push(out.ms) // two warm-up runs
      }
      lat.sort((a, b) => a - b)
      const params = { query: q, runs, traces, inspectedSpans: inspected, totalSpans }
      report(B, `${name}_p50_ms`, quantile(lat, 0.5), 'ms', params)
      report(B, `${name}_p99_ms`, quantile(lat, 0.99), 'ms', params)
    }
  } finally {
    await node.stop(30_000)
  }
} catch (err) {
  console.error(`${B} failed:`, err)
  exitCode = 1
} finally {
  agent.destroy()
  rmSync(dir, { recursive: true, force: true })
}
process.exit(exitCode)
