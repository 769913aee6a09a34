import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { encodeTracesProto, splitRequestByTrace } from '../common/otlp/index.ts'
import { seededRandom } from '../common/random.ts'
import { generateTraces } from '../tools/index.ts'
import { inlineBlockEncoder, workerBlockEncoder } from '../wal/encoder.ts'
import type { BlockEncoder, SegmentJob } from '../wal/encoder.ts'
import type { CutTrace } from '../wal/cut-trace.ts'
import { encodeBlock, flattenTraces, openBlock, writeBlock } from '../wal/index.ts'
import { segmentName } from '../wal/layout.ts'
import { httpAgent, scrape, sleep } from './helpers/http.ts'
import { cpuSeconds, rssBytes, startNodeChild, threadCores, threadCpuSeconds } from './helpers/node-child.ts'
import { drive, requestPool } from './helpers/otlp-load.ts'
import { countWalOnDisk } from './helpers/wal-disk.ts'
import { report } from './report.ts'

/**
 * The WAL write path, measured two ways in one run (issue 4):
 *
 * 1. Block writing alone (no Kafka, no store, this process): realistic traces from the load
 *    generator written as complete blocks (writeBlock: sort, Parquet + ZSTD, bloom, index, fsync,
 *    rename; and the CPU-only encodeBlock), then the two jobs the node's block lifecycle runs:
 *    head-block segments from OTLP fragments (decode + encode + write; inline, and on a pool of
 *    2 worker threads as the node runs them) and the completion of WAL blocks (read segments +
 *    encode + write). Trace-by-id p50/p99 on a written block.
 * 2. The whole path: a node as its own process (`livestore start`) fed OTLP/HTTP by this process
 *    (load-generator traces, pre-encoded, fresh trace ids per send) as fast as it accepts, with
 *    short max_trace_idle / flush_check_period so traces flow memory → head blocks → WAL blocks →
 *    complete blocks during the run. Spans reaching the WAL are read from the node's /metrics
 *    (`tempo_live_store_traces_created_total` × spans per trace of the pool) while it runs, and
 *    counted exactly from the blocks' meta.json on disk after the node stopped.
 *
 *   npm run bench -- wal-write [--traces 10000] [--runs 3] [--lookups 2000] [--segment-traces 300]
 *     [--duration 60] [--concurrency 8] [--batch 1000] [--pool 64] [--idle 1s] [--flush-period 1s]
 *     [--block-duration 10s] [--only alone|node] [--cpu-prof DIR]
 *
 * Figures: write/encode/segment/complete spans/s, bytes per span, lookup p50/p99 (alone); spans/s
 * accepted by the receiver, spans/s reaching the WAL (steady window and end to end), node CPU,
 * and the ratio of the whole path to writeBlock alone.
 */
const { values } = parseArgs({
  options: {
    traces: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '3' },
    lookups: { type: 'string', default: '2000' },
    'segment-traces': { type: 'string', default: '300' },
    'segments-per-block': { type: 'string', default: '10' },
    duration: { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '8' },
    batch: { type: 'string', default: '1000' },
    pool: { type: 'string', default: '64' },
    idle: { type: 'string', default: '1s' },
    'flush-period': { type: 'string', default: '1s' },
    'block-duration': { type: 'string', default: '10s' },
    only: { type: 'string', default: '' },
    'cpu-prof': { type: 'string', default: '' },
  },
})
const B = 'wal-write'
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
const pct = (xs: number[], p: number): number => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!
const summary: string[] = []
if (loadavg()[0]! > 1) console.error(`${B}: the machine is busy (load average ${loadavg()[0]!.toFixed(1)}); figures may be disturbed`)

let writerAlone: number | undefined
if (values.only !== 'node') writerAlone = await alone()
if (values.only !== 'alone') await wholePath(writerAlone)
console.error(`wal-write: ${summary.join('; ')}`)

/** Part 1: block writing alone, in this process. Returns writeBlock spans/s (median). */
async function alone (): Promise<number> {
  const traceCount = Number(values.traces)
  const runs = Number(values.runs)
  const lookups = Number(values.lookups)
  const now = Date.now()
  const traces = [generateTraces({ seed: 7, traces: traceCount, now })]
  const spans = flattenTraces(traces)
  const ids = [...new Map(spans.map((r) => [r.span.traceId.toString('hex'), r.span.traceId])).values()]
  const params = { traces: ids.length, spans: spans.length }
  const dir = mkdtempSync(join(tmpdir(), 'livestore-bench-wal-'))
  const clock = { now: () => Date.now() }
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
    const write = median(writeRates)
    report(B, 'write_spans_per_s', write, 'spans/s', { ...params, runs })
    report(B, 'encode_spans_per_s', median(encodeRates), 'spans/s', { ...params, runs })
    report(B, 'bytes_per_span', bytes / spans.length, 'bytes', { ...params, blockBytes: bytes })

    // The node's jobs: segments from OTLP fragments (as the flusher hands them over), then completion.
    const cut = cutTraces(traces, now)
    const perSegment = Number(values['segment-traces'])
    const segParams = { ...params, tracesPerSegment: perSegment, segments: Math.ceil(cut.length / perSegment) }
    const inline = inlineBlockEncoder()
    const segDirs: string[] = []
    let t0 = performance.now()
    for (const job of segmentJobs(dir, 'inline', cut, perSegment, now)) {
      await inline.writeSegment(job)
      segDirs.push(join(job.dir, job.name))
    }
    const segmentRate = spans.length / ((performance.now() - t0) / 1000)
    report(B, 'segment_spans_per_s', segmentRate, 'spans/s', { ...segParams, encoder: 'inline' })

    const pool = workerBlockEncoder(2)
    try {
      await Promise.all(segmentJobs(dir, 'warm', cut.slice(0, perSegment * 2), perSegment, now).map((j) => pool.writeSegment(j))) // start the threads, load tsx
      t0 = performance.now()
      await Promise.all(segmentJobs(dir, 'pool', cut, perSegment, now).map((j) => pool.writeSegment(j)))
      report(B, 'segment_pool_spans_per_s', spans.length / ((performance.now() - t0) / 1000), 'spans/s', { ...segParams, encoder: 'worker pool, 2 threads' })
    } finally {
      await pool.close()
    }

    const perBlock = Number(values['segments-per-block'])
    const completeDir = join(dir, 'complete')
    mkdirSync(completeDir)
    t0 = performance.now()
    let completed = 0
    for (let i = 0, n = 0; i < segDirs.length; i += perBlock, n++) {
      completed += (await completeWith(inline, segDirs.slice(i, i + perBlock), completeDir, `c${n}`, now)).spanCount
    }
    const completeRate = completed / ((performance.now() - t0) / 1000)
    report(B, 'complete_spans_per_s', completeRate, 'spans/s', { ...params, segmentsPerBlock: perBlock, blocks: Math.ceil(segDirs.length / perBlock) })
    // Every span is written twice on the node (segment, then complete block): what one core can do.
    report(B, 'wal_lifecycle_spans_per_core_s', 1 / (1 / segmentRate + 1 / completeRate), 'spans/s', { ...params, note: 'segment + completion per span, one core' })

    const reader = await openBlock(join(dir, 'b0'))
    const rnd = seededRandom(1)
    for (let i = 0; i < 100; i++) await reader.findTrace(ids[rnd.int(ids.length)]!) // warm-up
    const lat: number[] = []
    for (let i = 0; i < lookups; i++) {
      const id = ids[rnd.int(ids.length)]!
      const s = performance.now()
      const t = await reader.findTrace(id)
      lat.push(performance.now() - s)
      if (t === null) throw new Error(`trace ${id.toString('hex')} not found`)
    }
    const absent: number[] = []
    for (let i = 0; i < lookups; i++) {
      const id = Buffer.alloc(16)
      for (let b = 0; b < 16; b++) id[b] = rnd.int(256)
      const s = performance.now()
      await reader.findTrace(id)
      absent.push(performance.now() - s)
    }
    await reader.close()
    lat.sort((a, b) => a - b)
    report(B, 'lookup_p50_ms', pct(lat, 0.5), 'ms', { ...params, lookups })
    report(B, 'lookup_p99_ms', pct(lat, 0.99), 'ms', { ...params, lookups })
    report(B, 'lookup_absent_p99_ms', pct(absent.sort((a, b) => a - b), 0.99), 'ms', { ...params, lookups })
    summary.push(`writer alone ${Math.round(write)} spans/s (encode ${Math.round(median(encodeRates))}, segment ${Math.round(segmentRate)}, complete ${Math.round(completeRate)})`)
    return write
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The traces as the flusher cuts them: one OTLP fragment per trace, as the Kafka record carried it. */
function cutTraces (traces: Parameters<typeof flattenTraces>[0], now: number): CutTrace[] {
  return traces.flatMap((td) => splitRequestByTrace(encodeTracesProto(td)).traces.map((t) => ({
    traceId: Buffer.from(t.traceId), fragments: [Buffer.from(t.request)], createdAtMs: now, lastAppendMs: now,
  })))
}

function segmentJobs (root: string, name: string, cut: CutTrace[], perSegment: number, now: number): SegmentJob[] {
  const dir = join(root, 'wal', name)
  mkdirSync(dir, { recursive: true })
  const jobs: SegmentJob[] = []
  for (let i = 0; i < cut.length; i += perSegment) {
    jobs.push({
      dir, name: segmentName(jobs.length + 1), tenant: 'bench', partition: 0, blockId: `head-${name}`,
      traces: cut.slice(i, i + perSegment), offsets: { first: BigInt(i), last: BigInt(i + perSegment - 1) }, slackMs: 120_000, nowMs: now,
    })
  }
  return jobs
}

function completeWith (encoder: BlockEncoder, segments: string[], dir: string, blockId: string, now: number): ReturnType<BlockEncoder['completeBlock']> {
  return encoder.completeBlock({ segments, dir, tenant: 'bench', partition: 0, blockId, nowMs: now })
}

/** Part 2: OTLP/HTTP → distributor → Kafka → store → head blocks → WAL blocks → complete blocks, in a node process. */
async function wholePath (writerAloneRate: number | undefined): Promise<void> {
  const durationMs = Number(values.duration) * 1000
  const concurrency = Number(values.concurrency)
  const pool = requestPool(Number(values.pool), Number(values.batch), { now: Date.now() })
  const poolSpans = pool.reduce((n, p) => n + p.spans, 0)
  const spansPerTrace = poolSpans / pool.reduce((n, p) => n + p.traces, 0)
  const params = {
    durationS: durationMs / 1000, concurrency, spansPerRequest: Math.round(poolSpans / pool.length), spansPerTrace: Math.round(spansPerTrace * 10) / 10,
    maxTraceIdle: values.idle, flushCheckPeriod: values['flush-period'], maxBlockDuration: values['block-duration'],
  }
  const dir = mkdtempSync(join(tmpdir(), 'livestore-bench-walpath-'))
  const profDir = values['cpu-prof']
  const nodeOptions = ['--max-old-space-size=8192', ...(profDir === '' ? [] : ['--cpu-prof', '--cpu-prof-dir', profDir])]
  const node = await startNodeChild(dir, {
    nodeOptions,
    args: [
      '--overrides.max_traces_per_user', '0',
      '--live_store.max_trace_idle', String(values.idle),
      '--live_store.flush_check_period', String(values['flush-period']),
      '--live_store.max_block_duration', String(values['block-duration']),
      '--live_store.block_reclaim_grace', '1h',
    ],
  })
  const agent = httpAgent(concurrency + 2)
  let stopped = false
  let sampling = true
  try {
    const samples: { at: number, created: number, processed: number, cpu: number, threads: Map<number, number> }[] = []
    const sample = async (): Promise<Map<string, number>> => {
      const m = await scrape(node.api, agent)
      samples.push({ at: performance.now(), created: m.get('tempo_live_store_traces_created_total') ?? 0, processed: m.get('tempo_live_store_records_processed_total') ?? 0, cpu: await cpuSeconds(node.pid), threads: await threadCpuSeconds(node.pid) })
      return m
    }
    const sampler = (async () => { while (sampling) { await sample().catch(() => undefined); await sleep(1000) } })()
    const cpu0 = await cpuSeconds(node.pid)
    const client0 = process.cpuUsage()
    const sent = await drive(node.otlp, pool, { concurrency, durationMs, agent })
    const clientCpu = process.cpuUsage(client0)
    const nodeCpu = (await cpuSeconds(node.pid)) - cpu0
    const sendSec = (sent.endedAt - sent.startedAt) / 1000

    // Wait (bounded) until every accepted trace was written to a head block.
    const deadline = performance.now() + 300_000
    let m = await sample()
    while ((m.get('tempo_live_store_traces_created_total') ?? 0) < sent.traces && performance.now() < deadline) {
      await sleep(200)
      m = await sample()
    }
    const walDoneSec = (performance.now() - sent.startedAt) / 1000
    if ((m.get('tempo_live_store_traces_created_total') ?? 0) < sent.traces) console.error(`${B}: not every accepted trace reached the WAL within 5 minutes`)
    sampling = false
    await sampler
    const created = m.get('tempo_live_store_traces_created_total') ?? 0
    const discarded = m.get('tempo_discarded_spans_total') ?? 0
    const backpressureS = m.get('tempo_live_store_back_pressure_seconds_total') ?? 0
    const blocksCut = m.get('tempo_live_store_blocks_cut_total') ?? 0
    const blocksCompleted = m.get('tempo_live_store_blocks_completed_total') ?? 0
    const peak = (await rssBytes(node.pid)).peak

    // Steady state: from 1/6 of the run (JIT warm, first flushes and blocks cut) to the end of sending.
    const inWindow = samples.filter((s) => s.at >= sent.startedAt + durationMs / 6 && s.at <= sent.endedAt)
    const first = inWindow[0]
    const last = inWindow[inWindow.length - 1]
    const winSec = first !== undefined && last !== undefined ? (last.at - first.at) / 1000 : 0
    const steady = winSec > 0 ? (last!.created - first!.created) * spansPerTrace / winSec : NaN
    const steadyRecords = winSec > 0 ? (last!.processed - first!.processed) / winSec : NaN
    const steadyCores = winSec > 0 ? (last!.cpu - first!.cpu) / winSec : NaN
    const threads = winSec > 0 ? threadCores(first!.threads, last!.threads, winSec).map((t) => `${t.tid === node.pid ? 'main' : t.tid - node.pid}:${t.cores}`).join(' ') : ''

    stopped = true
    await node.stop(120_000)
    const disk = countWalOnDisk(join(dir, 'wal'))
    const endToEnd = disk.spans / walDoneSec

    const p = { ...params, requests: sent.requests, failures: sent.failures }
    report(B, 'node_accepted_spans_per_s', sent.spans / sendSec, 'spans/s', { ...p, errors: sent.errors })
    report(B, 'node_wal_spans_per_s_steady', steady, 'spans/s', { ...p, windowS: Math.round(winSec), recordsPerS: Math.round(steadyRecords), nodeCores: round2(steadyCores), threadCores: threads })
    report(B, 'node_wal_spans_per_s', endToEnd, 'spans/s', { ...p, spansInWal: disk.spans, spansAccepted: sent.spans, walDoneS: round2(walDoneSec), tracesCreated: created, tracesAccepted: sent.traces })
    report(B, 'node_cpu_cores', nodeCpu / sendSec, 'cores', { ...p, clientCores: round2((clientCpu.user + clientCpu.system) / 1e6 / sendSec) })
    report(B, 'node_peak_rss', peak / 1024 / 1024, 'MiB', p)
    report(B, 'node_wal_on_disk', disk.bytes / Math.max(1, disk.spans), 'bytes/span', { ...p, ...disk, blocksCut, blocksCompleted, discardedSpans: discarded, backPressureS: backpressureS })
    if (disk.spans !== sent.spans) console.error(`wal-write: ${sent.spans} spans accepted but ${disk.spans} in the WAL on disk`)
    if (writerAloneRate !== undefined) {
      report(B, 'node_wal_vs_writer_alone', endToEnd / writerAloneRate, 'ratio', { nodeWalSpansPerS: Math.round(endToEnd), writerAloneSpansPerS: Math.round(writerAloneRate), steadyRatio: round2(steady / writerAloneRate) })
    }
    summary.push(`node: accepted ${Math.round(sent.spans / sendSec)} spans/s, WAL ${Math.round(endToEnd)} spans/s end to end (steady ${Math.round(steady)}), ${disk.spans}/${sent.spans} spans in the WAL, node ${round2(nodeCpu / sendSec)} cores` +
      (writerAloneRate === undefined ? '' : `, ${Math.round(endToEnd / writerAloneRate * 100)}% of the writer alone`) + (profDir === '' ? '' : `; CPU profile in ${profDir}`))
  } finally {
    sampling = false
    if (!stopped) await node.kill()
    agent.destroy()
    rmSync(dir, { recursive: true, force: true })
  }
}

function round2 (x: number): number {
  return Math.round(x * 100) / 100
}
