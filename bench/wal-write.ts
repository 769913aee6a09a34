import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { seededRandom } from '../common/random.ts'
import { generateTraces } from '../tools/index.ts'
import { encodeBlock, flattenTraces, openBlock, writeBlock } from '../wal/index.ts'
import { report } from './report.ts'

/**
 * Block writing alone (no Kafka, no store): realistic traces from the load generator are written
 * as complete blocks (sort, Parquet + ZSTD, bloom, index, fsync, rename), then looked up by id.
 *   npm run bench -- wal-write [--traces 10000] [--runs 3] [--lookups 2000]
 * Figures: spans/s of writeBlock (and of the CPU-only encode), bytes per span on disk, and
 * trace-by-id p50/p99 on the written block (open once, then findTrace per id).
 */
const { values } = parseArgs({ options: { traces: { type: 'string', default: '10000' }, runs: { type: 'string', default: '3' }, lookups: { type: 'string', default: '2000' } } })
const traceCount = Number(values.traces)
const runs = Number(values.runs)
const lookups = Number(values.lookups)

const traces = [generateTraces({ seed: 7, traces: traceCount, now: 1_763_700_000_000 })]
const spans = flattenTraces(traces)
const ids = [...new Map(spans.map((r) => [r.span.traceId.toString('hex'), r.span.traceId])).values()]
const params = { traces: ids.length, spans: spans.length }
const dir = mkdtempSync(join(tmpdir(), 'livestore-bench-wal-'))
const clock = { now: () => Date.now() }
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!

try {
  const encodeRates: number[] = []
  const writeRates: number[] = []
  let bytes = 0
  for (let run = 0; run < runs; run++) {
    let t0 = performance.now()
    encodeBlock({ tenant: 'bench', partition: 0, blockId: `enc${run}`, traces, offsetRange: { first: 0n, last: 0n } }, clock.now())
    encodeRates.push(spans.length / ((performance.now() - t0) / 1000))
    t0 = performance.now()
    const meta = await writeBlock({ dir, tenant: 'bench', partition: 0, blockId: `b${run}`, traces, offsetRange: { first: 0n, last: 0n }, clock })
    writeRates.push(spans.length / ((performance.now() - t0) / 1000))
    bytes = meta.sizeBytes
  }
  report('wal-write', 'write_spans_per_s', median(writeRates), 'spans/s', { ...params, runs })
  report('wal-write', 'encode_spans_per_s', median(encodeRates), 'spans/s', { ...params, runs })
  report('wal-write', 'bytes_per_span', bytes / spans.length, 'bytes', { ...params, blockBytes: bytes })

  const reader = await openBlock(join(dir, 'b0'))
  const rnd = seededRandom(1)
  for (let i = 0; i < 100; i++) await reader.findTrace(ids[rnd.int(ids.length)]!) // warm-up
  const lat: number[] = []
  for (let i = 0; i < lookups; i++) {
    const id = ids[rnd.int(ids.length)]!
    const t0 = performance.now()
    const t = await reader.findTrace(id)
    lat.push(performance.now() - t0)
    if (t === null) throw new Error(`trace ${id.toString('hex')} not found`)
  }
  const absent: number[] = []
  for (let i = 0; i < lookups; i++) {
    const id = Buffer.alloc(16)
    for (let b = 0; b < 16; b++) id[b] = rnd.int(256)
    const t0 = performance.now()
    await reader.findTrace(id)
    absent.push(performance.now() - t0)
  }
  await reader.close()
  lat.sort((a, b) => a - b)
  const pct = (xs: number[], p: number): number => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!
  report('wal-write', 'lookup_p50_ms', pct(lat, 0.5), 'ms', { ...params, lookups })
  report('wal-write', 'lookup_p99_ms', pct(lat, 0.99), 'ms', { ...params, lookups })
  report('wal-write', 'lookup_absent_p99_ms', pct(absent.sort((a, b) => a - b), 0.99), 'ms', { ...params, lookups })
} finally {
  rmSync(dir, { recursive: true, force: true })
}
