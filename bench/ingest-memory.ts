import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { httpAgent, scrape, sleep } from './helpers/http.ts'
import { cpuSeconds, rssBytes, startNodeChild } from './helpers/node-child.ts'
import { drive, requestPool } from './helpers/otlp-load.ts'
import { report } from './report.ts'

/**
 * End to end on one node: OTLP/HTTP → distributor → Kafka (embedded broker, acks=-1, fsync) →
 * partition reader → store. The node runs as its own process (`livestore start`); this process
 * sends as fast as the node accepts for `--duration` seconds with `--concurrency` requests in
 * flight, then waits until the store has consumed everything.
 *
 * Memory: max_trace_idle and max_trace_live are long (1h) and max_live_traces_bytes is off, so
 * every span stays live in memory (nothing is flushed to the WAL, consumption never waits). Peak
 * RSS is compared with the live spans and with their OTLP bytes (`tempo_live_store_live_trace_bytes`,
 * the protobuf bytes the store holds), raw and above the RSS of the idle node before the load.
 *
 * Realistic traces come from the load generator (tools/), generated and encoded once into a pool;
 * every reuse stamps a fresh number into the trace ids, so every request carries new traces.
 *   npm run bench -- ingest-memory [--duration 60] [--concurrency 8] [--batch 1000] [--pool 64]
 */
const { values } = parseArgs({ options: { duration: { type: 'string', default: '60' }, concurrency: { type: 'string', default: '8' }, batch: { type: 'string', default: '1000' }, pool: { type: 'string', default: '64' } } })
const B = 'ingest-memory'
const durationMs = Number(values.duration) * 1000
const concurrency = Number(values.concurrency)
if (loadavg()[0]! > 1) console.error(`${B}: the machine is busy (load average ${loadavg()[0]!.toFixed(1)}); figures may be disturbed`)

const pool = requestPool(Number(values.pool), Number(values.batch), { now: Date.now() })
const dir = mkdtempSync(join(tmpdir(), 'livestore-bench-ingest-'))
const agent = httpAgent(concurrency + 2)
const node = await startNodeChild(dir, {
  nodeOptions: ['--max-old-space-size=16384'],
  args: [
    '--overrides.max_traces_per_user', '0',
    '--live_store.complete_block_timeout', '24h',
    '--live_store.max_trace_idle', '1h',
    '--live_store.max_trace_live', '1h',
    '--live_store.max_live_traces_bytes', '0',
  ],
})
try {
  await sleep(1000)
  const idleRss = (await rssBytes(node.pid)).rss
  const cpu0 = await cpuSeconds(node.pid)
  const sent = await drive(node.otlp, pool, { concurrency, durationMs, agent })
  const acceptSec = (sent.endedAt - sent.startedAt) / 1000
  let m = await scrape(node.api, agent)
  const records = m.get('tempo_distributor_kafka_records_total') ?? 0
  const deadline = performance.now() + 600_000
  while ((m.get('tempo_live_store_records_processed_total') ?? 0) < records && performance.now() < deadline) {
    await sleep(200)
    m = await scrape(node.api, agent)
  }
  const consumedSec = (performance.now() - sent.startedAt) / 1000
  const cpu = (await cpuSeconds(node.pid)) - cpu0
  const processed = m.get('tempo_live_store_records_processed_total') ?? 0
  if (processed < records) console.error(`${B}: only ${processed} of ${records} records consumed after 10 minutes`)
  const liveBytes = m.get('tempo_live_store_live_trace_bytes') ?? 0
  const liveTraces = m.get('tempo_live_store_live_traces') ?? 0
  const { peak, rss } = await rssBytes(node.pid)
  const liveSpans = sent.spans
  const params = { durationS: Number(values.duration), concurrency, spansPerRequest: Math.round(sent.spans / Math.max(1, sent.requests)), requests: sent.requests, failures: sent.failures }
  const mem = { ...params, liveSpans, liveTraces, liveTraceBytes: liveBytes, requestBytes: sent.bytes, idleRssMiB: Math.round(idleRss / 2 ** 20), rssNowMiB: Math.round(rss / 2 ** 20), discardedSpans: m.get('tempo_discarded_spans_total') ?? 0 }
  report(B, 'accepted_spans_per_sec', sent.spans / acceptSec, 'spans/s', { ...params, errors: sent.errors })
  report(B, 'end_to_end_spans_per_sec', sent.spans / consumedSec, 'spans/s', { ...params, consumeLagS: Math.round((consumedSec - acceptSec) * 10) / 10, nodeCores: Math.round(cpu / consumedSec * 100) / 100 })
  report(B, 'peak_rss', peak / 2 ** 20, 'MiB', mem)
  report(B, 'peak_rss_per_million_live_spans', peak / 2 ** 20 / (liveSpans / 1e6), 'MiB', mem)
  report(B, 'live_bytes_per_span', liveBytes / liveSpans, 'bytes', mem)
  report(B, 'peak_rss_vs_live_bytes', peak / liveBytes, 'ratio', mem)
  report(B, 'rss_growth_vs_live_bytes', (peak - idleRss) / liveBytes, 'ratio', mem)
  report(B, 'peak_rss_vs_request_bytes', peak / sent.bytes, 'ratio', { ...mem, note: 'OTLP request bodies accepted (the store keeps one request per trace, resource and scope repeated: more bytes)' })
  console.error(`${B}: ${Math.round(sent.spans / acceptSec)} spans/s accepted, ${Math.round(sent.spans / consumedSec)} end to end; ${(liveSpans / 1e6).toFixed(2)}M live spans, ` +
    `${(liveBytes / 2 ** 20).toFixed(0)} MiB of OTLP in the store, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB = ${(peak / 2 ** 20 / (liveSpans / 1e6)).toFixed(0)} MiB per million spans, ` +
    `${(peak / liveBytes).toFixed(2)}× the live OTLP bytes (${((peak - idleRss) / liveBytes).toFixed(2)}× above the idle node's ${(idleRss / 2 ** 20).toFixed(0)} MiB)`)
} finally {
  await node.kill()
  agent.destroy()
  rmSync(dir, { recursive: true, force: true })
}
