import { parseArgs } from 'node:util'
import { encodeTracesProto } from '../common/otlp/index.ts'
import type { TracesData } from '../common/otlp/model.ts'
import { tempDir } from '../test/helpers/broker.ts'
import { peakRssBytes, startNodeProcess } from '../test/helpers/node-process.ts'
import { generateTraces } from '../tools/index.ts'
import { report } from './report.ts'

/**
 * End to end on one node: OTLP/HTTP → distributor → Kafka (embedded broker, acks=-1, fsync) →
 * partition reader → store. The node runs as its own process (`livestore start`); this process
 * sends as fast as the node accepts for `--duration` seconds with `--concurrency` requests in
 * flight, then waits until the store has consumed everything.
 *
 * Realistic traces come from the load generator (tools/), generated once into a pool; every
 * reuse stamps a fresh number into the trace ids, so every request carries new traces.
 *   npm run bench -- ingest-memory [--duration 60] [--concurrency 8] [--batch 1000]
 */
const { values } = parseArgs({ options: { duration: { type: 'string', default: '60' }, concurrency: { type: 'string', default: '8' }, batch: { type: 'string', default: '1000' }, pool: { type: 'string', default: '64' } } })
const durationMs = Number(values.duration) * 1000
const concurrency = Number(values.concurrency)
const batchTraces = Math.max(1, Math.round(Number(values.batch) / 22)) // the generator averages ~22 spans a trace
const poolSize = Number(values.pool)

const pool: TracesData[] = Array.from({ length: poolSize }, (_, i) => generateTraces({ seed: i + 1, traces: batchTraces, now: 1_800_000_000_000 }))
const spansIn = (d: TracesData): number => d.resourceSpans.reduce((n, rs) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0)

/** Stamps `round` into bytes 4..7 of every trace id (and link trace id) of a pooled request. */
function stamp (d: TracesData, round: number): void {
  for (const rs of d.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) {
    s.traceId.writeUInt32BE(round, 4)
    for (const l of s.links) l.traceId.writeUInt32BE(round, 4)
  }
}

async function metricSum (api: string, name: string): Promise<number> {
  const text = await (await fetch(`${api}/metrics`)).text()
  return text.split('\n').filter((l) => l.startsWith(name + '{') || l.startsWith(name + ' ')).reduce((n, l) => n + Number(l.split(' ').pop()), 0)
}

const dir = tempDir('livestore-bench-ingest-')
const node = await startNodeProcess(dir.path, ['--overrides.max_traces_per_user', '100000000', '--live_store.complete_block_timeout', '24h'], ['--max-old-space-size=16384'])
try {
  let sent = 0
  let spans = 0
  let failures = 0
  let next = 0
  const t0 = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() - t0 < durationMs) {
      const i = next++
      const data = pool[i % poolSize] as TracesData
      stamp(data, Math.floor(i / poolSize) + 1)
      const body = encodeTracesProto(data)
      const res = await fetch(`${node.otlp}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } })
      await res.arrayBuffer()
      if (res.status === 200) { sent++; spans += spansIn(data) } else failures++
    }
  }))
  const acceptSec = (performance.now() - t0) / 1000
  const records = await metricSum(node.api, 'tempo_distributor_kafka_records_total')
  while (await metricSum(node.api, 'tempo_live_store_records_processed_total') < records) await new Promise((resolve) => setTimeout(resolve, 200))
  const consumedSec = (performance.now() - t0) / 1000
  const params = { durationS: Number(values.duration), concurrency, spansPerRequest: Math.round(spans / Math.max(1, sent)), requests: sent, failures }
  report('ingest-memory', 'accepted_spans_per_sec', spans / acceptSec, 'spans/s', params)
  report('ingest-memory', 'end_to_end_spans_per_sec', spans / consumedSec, 'spans/s', { ...params, consumeLagS: Math.round((consumedSec - acceptSec) * 10) / 10 })
  report('ingest-memory', 'peak_rss', (await peakRssBytes(node.child.pid as number)) / 1024 / 1024, 'MiB', { ...params, liveSpans: spans })
} finally {
  await node.stop()
  dir.remove()
}
