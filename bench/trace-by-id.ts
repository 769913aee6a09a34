import { Agent, request } from 'node:http'
import { parseArgs } from 'node:util'
import { encodeTracesProto } from '../common/otlp/index.ts'
import type { Span, TracesData } from '../common/otlp/model.ts'
import { seededRandom } from '../common/random.ts'
import { tempDir } from '../test/helpers/broker.ts'
import { startNodeProcess } from '../test/helpers/node-process.ts'
import { report } from './report.ts'

/**
 * Latency of `GET /api/traces/{id}` with many live traces in memory (default 100k traces of 5
 * spans). The node runs as its own process (`livestore start`); the traces go in through OTLP and
 * Kafka like any other; then `--queries` random ids are fetched one at a time over keep-alive.
 *   npm run bench -- trace-by-id [--traces 100000] [--queries 5000]
 */
const { values } = parseArgs({ options: { traces: { type: 'string', default: '100000' }, queries: { type: 'string', default: '5000' }, spans: { type: 'string', default: '5' } } })
const traces = Number(values.traces)
const queries = Number(values.queries)
const spansPerTrace = Number(values.spans)
const rnd = seededRandom(42)

function traceId (i: number): Buffer { const b = Buffer.alloc(16); b.writeUInt32BE(0x7e000000, 0); b.writeUInt32BE(i + 1, 12); return b }

function batch (from: number, count: number): TracesData {
  const spans: Span[] = []
  for (let t = from; t < from + count; t++) {
    for (let s = 0; s < spansPerTrace; s++) {
      const spanId = Buffer.alloc(8); spanId.writeUInt32BE(t + 1, 0); spanId.writeUInt32BE(s + 1, 4)
      const start = 1_700_000_000_000_000_000n + BigInt(t) * 1000n
      spans.push({
        traceId: traceId(t), spanId, traceState: '', parentSpanId: s === 0 ? Buffer.alloc(0) : Buffer.from(spans[spans.length - s]?.spanId ?? Buffer.alloc(0)), flags: 1,
        name: `GET /api/item/${s}`, kind: s === 0 ? 2 : 3, startTimeUnixNano: start, endTimeUnixNano: start + 5_000_000n,
        attributes: [{ key: 'http.method', value: { kind: 'string', value: 'GET' } }, { key: 'http.status_code', value: { kind: 'int', value: 200n } }],
        droppedAttributesCount: 0, events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, status: { code: 0, message: '' },
      })
    }
  }
  return { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { kind: 'string', value: 'bench' } }], droppedAttributesCount: 0 }, scopeSpans: [{ scope: null, spans, schemaUrl: '' }], schemaUrl: '' }] }
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 })
function get (url: string): Promise<{ status: number, ms: number }> {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => { res.resume(); res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 })) }).on('error', reject).end()
  })
}

const dir = tempDir('livestore-bench-tbi-')
const node = await startNodeProcess(dir.path, ['--overrides.max_traces_per_user', String(traces * 2), '--live_store.complete_block_timeout', '24h'], ['--max-old-space-size=8192'])
try {
  const t0 = performance.now()
  const per = 500
  const sends: Promise<void>[] = []
  for (let i = 0; i < traces; i += per) {
    const body = encodeTracesProto(batch(i, Math.min(per, traces - i)))
    sends.push(fetch(`${node.otlp}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } }).then((r) => { if (r.status !== 200) throw new Error(`push failed: ${r.status}`) }))
    if (sends.length >= 8) await sends.shift()
  }
  await Promise.all(sends)
  // Wait until the last trace is queryable (everything consumed).
  for (;;) { if ((await get(`${node.api}/api/traces/${traceId(traces - 1).toString('hex')}`)).status === 200) break; await new Promise((resolve) => setTimeout(resolve, 100)) }
  report('trace-by-id', 'load_seconds', (performance.now() - t0) / 1000, 's', { traces, spansPerTrace })

  for (let i = 0; i < 200; i++) await get(`${node.api}/api/traces/${traceId(rnd.int(traces)).toString('hex')}`) // warm-up
  const lat: number[] = []
  for (let i = 0; i < queries; i++) {
    const r = await get(`${node.api}/api/traces/${traceId(rnd.int(traces)).toString('hex')}`)
    if (r.status !== 200) throw new Error(`query failed: ${r.status}`)
    lat.push(r.ms)
  }
  lat.sort((a, b) => a - b)
  const pct = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] as number
  const params = { traces, spansPerTrace, queries }
  report('trace-by-id', 'p50_ms', pct(0.5), 'ms', params)
  report('trace-by-id', 'p99_ms', pct(0.99), 'ms', params)
  report('trace-by-id', 'max_ms', lat[lat.length - 1] as number, 'ms', params)
} finally {
  await node.stop()
  agent.destroy()
  dir.remove()
}
