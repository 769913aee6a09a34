import { decodeTracesProto } from '../common/otlp/decode-proto.ts'
import type { TracesData } from '../common/otlp/model.ts'
import { openBlock } from './block-reader.ts'
import type { BlockReader } from './block-reader.ts'
import { encodeBlock } from './block-writer.ts'
import type { WriteBlockOptions } from './block-writer.ts'
import { ingestionWindow, traceTimes, unionRange } from './cut-trace.ts'
import type { CutTrace, NanoRange } from './cut-trace.ts'
import { noWarnings, traceShape } from './data-quality.ts'
import type { SegmentWarnings } from './data-quality.ts'
import { writeDirAtomically } from './fs-atomic.ts'
import type { BlockMeta, OffsetRange } from './meta.ts'
import { flattenTraces } from './records.ts'
import type { SpanRecord } from './records.ts'

/**
 * The CPU-heavy work of the block lifecycle, written once and run either on the calling thread
 * (inlineBlockEncoder) or in a worker thread (encoder-thread.ts): pure functions of their job,
 * which carries everything, the time included, so both ways produce the same bytes.
 */
export interface SegmentJob {
  /** The head block's directory; the segment lands in `<dir>/<name>`. */
  dir: string
  /** The segment's directory name (layout.ts segmentName). */
  name: string
  tenant: string
  partition: number
  /** The head block's id, written into the segment's meta.json. */
  blockId: string
  traces: readonly CutTrace[]
  /** Kafka offsets (inclusive) of the records the traces came from. */
  offsets: OffsetRange
  /** `live_store.wal.ingestion_time_range_slack` (ms). */
  slackMs: number
  /** Clock time (ms) for meta.createdAtMs. */
  nowMs: number
  options?: WriteBlockOptions
}

export interface SegmentResult {
  meta: BlockMeta
  warnings: SegmentWarnings
}

export interface CompleteJob {
  /** The WAL block's segment directories, in order. */
  segments: readonly string[]
  /** The tenant's complete-block directory; the block lands in `<dir>/<blockId>`. */
  dir: string
  tenant: string
  partition: number
  blockId: string
  nowMs: number
  options?: WriteBlockOptions
}

/** Decodes the fragments, checks data quality, clamps the time range and writes the segment. */
export async function runSegmentJob (job: SegmentJob): Promise<SegmentResult> {
  const warnings = noWarnings()
  const decoded: TracesData[] = []
  let range: NanoRange | null = null
  for (const trace of job.traces) {
    const parts = trace.fragments.map((f) => decodeTracesProto(f))
    const spans = flattenTraces(parts).map((r) => r.span)
    const times = traceTimes(spans, ingestionWindow(trace, job.slackMs))
    if (times === null) continue
    decoded.push(...parts)
    warnings.outside_ingestion_time_slack += times.outside
    range = unionRange(range, times.range)
    const shape = traceShape(spans)
    if (shape.rootless) warnings.rootless_trace_flushed_to_wal++
    if (shape.disconnected) warnings.disconnected_trace_flushed_to_wal++
  }
  const encoded = encodeBlock({
    tenant: job.tenant,
    partition: job.partition,
    blockId: job.blockId,
    traces: decoded,
    offsetRange: job.offsets,
    ...(range === null ? {} : { timeRange: range }),
    ...(job.options === undefined ? {} : { options: job.options }),
  }, job.nowMs)
  await writeDirAtomically(job.dir, job.name, encoded.files)
  return { meta: encoded.meta, warnings }
}

/**
 * Merges a WAL block's segments into one complete block: every span once (duplicates, e.g. from
 * a replay after a crash, share trace id, span id and kind; the first one read is kept), time
 * and offset ranges the union of the segments'.
 */
export async function runCompleteJob (job: CompleteJob): Promise<BlockMeta> {
  if (job.segments.length === 0) throw new Error(`WAL block ${job.blockId} has no segments`)
  const records: SpanRecord[] = []
  const seen = new Set<string>()
  let range: NanoRange | null = null
  let offsets: OffsetRange | null = null
  for (const path of job.segments) {
    const reader: BlockReader = await openBlock(path)
    try {
      const m = reader.meta
      range = unionRange(range, { startUnixNano: m.startTimeUnixNano, endUnixNano: m.endTimeUnixNano })
      offsets = offsets === null
        ? { ...m.offsetRange }
        : { first: m.offsetRange.first < offsets.first ? m.offsetRange.first : offsets.first, last: m.offsetRange.last > offsets.last ? m.offsetRange.last : offsets.last }
      for await (const rec of reader.spans()) {
        const s = rec.span
        const key = s.traceId.toString('hex') + s.spanId.toString('hex') + ':' + s.kind
        if (seen.has(key)) continue
        seen.add(key)
        records.push(rec)
      }
    } finally {
      await reader.close()
    }
  }
  const encoded = encodeBlock({
    tenant: job.tenant,
    partition: job.partition,
    blockId: job.blockId,
    spans: records,
    offsetRange: offsets!,
    timeRange: range!,
    ...(job.options === undefined ? {} : { options: job.options }),
  }, job.nowMs)
  await writeDirAtomically(job.dir, job.blockId, encoded.files)
  return encoded.meta
}
