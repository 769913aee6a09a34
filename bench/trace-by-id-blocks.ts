import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { seededRandom } from '../common/random.ts'
import { DEFAULT_TENANT } from '../ingest/record-format.ts'
import { generateTraces } from '../tools/index.ts'
import { completeParentPath } from '../wal/layout.ts'
import { writeStampedBlocks } from './helpers/blocks.ts'
import { httpAgent, httpRequest, quantile } from './helpers/http.ts'
import { startNodeChild } from './helpers/node-child.ts'
import { report } from './report.ts'

/**
 * Latency of `GET /api/traces/{id}` for traces that live only in complete blocks (issue 4):
 * `--blocks` complete blocks of realistic traces (load generator) are written with writeBlock
 * straight into the node's WAL layout (`<data>/wal/blocks/<tenant>/<id>/`, wal/layout.ts), a
 * node is started on that directory (it loads them at start; its Kafka topic is empty, so
 * nothing is in memory), and random ids are fetched one at a time over keep-alive HTTP. Each
 * query is answered by checking every block's bloom filter and reading one row group of the
 * block that holds the trace. Ids absent from every block are timed too (bloom filters only).
 *
 *   npm run bench -- trace-by-id-blocks [--blocks 100] [--traces-per-block 1000] [--queries 5000]
 */
const { values } = parseArgs({
  options: {
    blocks: { type: 'string', default: '100' },
    'traces-per-block': { type: 'string', default: '1000' },
    queries: { type: 'string', default: '5000' },
    partitions: { type: 'string', default: '8' },
  },
})
const B = 'trace-by-id-blocks'
const blockCount = Number(values.blocks)
const perBlock = Number(values['traces-per-block'])
const queries = Number(values.queries)
const partitions = Number(values.partitions)
if (loadavg()[0]! > 1) console.error(`${B}: the machine is busy (load average ${loadavg()[0]!.toFixed(1)}); figures may be disturbed`)

/** Spans in a v1 JSON answer (`batches[].scopeSpans[].spans[]`). */
function spansIn (body: Buffer): number {
  const t = JSON.parse(body.toString('utf8')) as { batches?: { scopeSpans?: { spans?: unknown[] }[] }[] }
  return (t.batches ?? []).reduce((n, b) => n + (b.scopeSpans ?? []).reduce((m, ss) => m + (ss.spans?.length ?? 0), 0), 0)
}

const dir = mkdtempSync(join(tmpdir(), 'livestore-bench-tbib-'))
const agent = httpAgent(2)
try {
  // One pool of traces, re-stamped per block: generating 100 × 1,000 traces would dominate the run.
  const now = Date.now()
  const data = generateTraces({ seed: 11, traces: perBlock, now })
  const spansPerTrace = new Map<string, number>()
  for (const rs of data.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) spansPerTrace.set(s.traceId.toString('hex'), (spansPerTrace.get(s.traceId.toString('hex')) ?? 0) + 1)
  const ids: { id: string, spans: number }[] = []
  const w0 = performance.now()
  const written = await writeStampedBlocks({ dir: completeParentPath(join(dir, 'wal'), DEFAULT_TENANT), tenant: DEFAULT_TENANT, data, blocks: blockCount, partitions })
  for (const { round } of written) for (const [hex, n] of spansPerTrace) ids.push({ id: hex.slice(0, 8) + round.toString(16).padStart(8, '0') + hex.slice(16), spans: n })
  const spans = written.reduce((n, w) => n + w.meta.spanCount, 0)
  const bytes = written.reduce((n, w) => n + w.meta.sizeBytes, 0)
  const writeSec = (performance.now() - w0) / 1000
  const params = { blocks: blockCount, tracesPerBlock: perBlock, spansPerBlock: Math.round(spans / blockCount), blockBytes: Math.round(bytes / blockCount), queries }
  report(B, 'setup_write_spans_per_s', spans / writeSec, 'spans/s', params)

  const node = await startNodeChild(dir, { nodeOptions: ['--max-old-space-size=8192'], startTimeoutMs: 120_000 })
  try {
    const loaded = await node.waitLog('loaded blocks', 10_000)
    if (loaded.rec.complete !== blockCount) throw new Error(`the node loaded ${String(loaded.rec.complete)} complete blocks, expected ${blockCount}`)
    const rnd = seededRandom(42)
    const get = (id: string): ReturnType<typeof httpRequest> => httpRequest(`${node.api}/api/traces/${id}`, { agent })
    for (let i = 0; i < 200; i++) await get(ids[rnd.int(ids.length)]!.id) // warm-up
    const lat: number[] = []
    for (let i = 0; i < queries; i++) {
      const q = ids[rnd.int(ids.length)]!
      const r = await get(q.id)
      if (r.status !== 200) throw new Error(`trace ${q.id}: status ${r.status}`)
      if (i < 50) {
        const got = spansIn(r.body)
        if (got !== q.spans) throw new Error(`trace ${q.id}: ${got} spans returned, ${q.spans} written`)
      }
      lat.push(r.ms)
    }
    const absent: number[] = []
    for (let i = 0; i < Math.min(queries, 2000); i++) {
      const id = Array.from({ length: 16 }, () => rnd.int(256).toString(16).padStart(2, '0')).join('')
      const r = await get(id)
      if (r.status !== 404) throw new Error(`random id ${id}: status ${r.status}`)
      absent.push(r.ms)
    }
    lat.sort((a, b) => a - b)
    absent.sort((a, b) => a - b)
    report(B, 'p50_ms', quantile(lat, 0.5), 'ms', params)
    report(B, 'p99_ms', quantile(lat, 0.99), 'ms', params)
    report(B, 'max_ms', lat[lat.length - 1]!, 'ms', params)
    report(B, 'absent_p50_ms', quantile(absent, 0.5), 'ms', { ...params, queries: absent.length })
    report(B, 'absent_p99_ms', quantile(absent, 0.99), 'ms', { ...params, queries: absent.length })
    report(B, 'load_blocks_ms', Number(loaded.rec.ms), 'ms', params)
    console.error(`${B}: ${blockCount} complete blocks (${Math.round(spans / blockCount)} spans each), GET /api/traces/{id} p50 ${quantile(lat, 0.5).toFixed(2)} ms, p99 ${quantile(lat, 0.99).toFixed(2)} ms ` +
      `(absent ids p99 ${quantile(absent, 0.99).toFixed(2)} ms), blocks loaded in ${String(loaded.rec.ms)} ms`)
  } finally {
    await node.kill()
  }
} finally {
  agent.destroy()
  rmSync(dir, { recursive: true, force: true })
}
