import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { combineTraces } from '../../common/otlp/combine.ts'
import type { TracesData } from '../../common/otlp/model.ts'
import type { SearchWindow } from '../../common/search/prefilter.ts'
import { byteNeedles, matchesNothing, overlapsWindow, pieceMayMatch } from '../../common/search/prefilter-eval.ts'
import type { MemoryTraceRef } from '../../store/search-source.ts'
import type { BlockReader } from '../../wal/block-reader.ts'
import { newBlockScanStats } from '../../wal/block-search.ts'
import type { RowScanOptions } from '../../wal/block-search.ts'
import type { StoredBlock } from '../../wal/block-set.ts'
import type { BlockSearchHit, BlockSearchOptions } from '../../wal/block-store.ts'
import type { Row } from '../../wal/format/v1-rows.ts'
import type { CompiledSearch, SearchMetrics, TraceMatch } from './types.ts'

/** The memory side of one node's data (store/store.ts TraceStore implements it). */
export interface LocalMemory {
  liveTraceRefs (tenant: string): readonly MemoryTraceRef[]
  findLiveTrace (tenant: string, traceId: Buffer): TracesData | null
}

/** The block side (wal/block-store.ts BlockStore implements it). */
export interface LocalBlocks {
  blocks (tenant: string): readonly StoredBlock[]
  searchBlocks (tenant: string, opts: BlockSearchOptions): AsyncGenerator<BlockSearchHit>
  scanBlockRows (tenant: string, opts: RowScanOptions & { concurrency?: number, blocks?: readonly StoredBlock[] }): AsyncGenerator<Row[]>
}

export interface VisitDeps {
  memory: LocalMemory
  blocks: LocalBlocks | undefined
  /** Blocks read at once. */
  concurrency: number
}

export interface VisitRequest {
  search: CompiledSearch
  window: SearchWindow
  minDurationNanos?: bigint | undefined
  maxDurationNanos?: bigint | undefined
  spss: number
}

/** Called for each matching trace (once per trace id); returning true ends the visit. */
export type OnMatch = (key: string, match: TraceMatch, trace: TracesData) => boolean

export function emptyMetrics (): SearchMetrics {
  return { inspectedTraces: 0, inspectedBytes: 0n, inspectedSpans: 0n, totalBlocks: 0, completedJobs: 0, totalJobs: 0, totalBlockBytes: 0n }
}

/** Memory traces decoded between two yields to the event loop (so an abort is seen promptly). */
const YIELD_EVERY = 128

/**
 * Finds the matching traces of a tenant: candidates from memory (newest first), then from the
 * blocks (newest first, `concurrency` at once). A candidate is a trace whose piece in one source
 * has a span overlapping the window and a span that may meet the prefilter. Each candidate is
 * assembled once, whole: its memory piece plus its piece in every block whose bloom filter may
 * hold it, merged with combineTraces (spans deduplicated); then the window (a span overlaps it),
 * the duration bounds (latest end − earliest start) and the query decide.
 *
 * Consistency: the block snapshot is taken once, after the memory list; a trace moving from
 * memory to a new head block in between may be missed by this query (it is found by the next).
 */
export async function visitMatches (deps: VisitDeps, tenant: string, req: VisitRequest, signal: AbortSignal, metrics: SearchMetrics, onMatch: OnMatch): Promise<void> {
  signal.throwIfAborted()
  const prefilter = req.search.prefilter
  const needles = byteNeedles(prefilter)
  const refs = matchesNothing(prefilter) ? [] : deps.memory.liveTraceRefs(tenant)
  const snapshot = deps.blocks?.blocks(tenant) ?? []
  metrics.totalBlocks += snapshot.length
  metrics.totalJobs += snapshot.length
  for (const b of snapshot) metrics.totalBlockBytes += BigInt(b.meta.sizeBytes)
  const readers = snapshot.flatMap((b) => b.readers)
  const scan = newBlockScanStats()
  const seen = new Set<string>()

  const decide = async (key: string, traceId: Buffer, pieces: readonly (TracesData | null)[], exclude: BlockReader | undefined): Promise<boolean> => {
    const others = readers.filter((r) => r !== exclude && r.mayContain(traceId))
    const more = others.length === 0 ? [] : await Promise.all(others.map((r) => r.findTrace(traceId, scan)))
    signal.throwIfAborted()
    const trace = combineTraces([...pieces, ...more])
    if (trace === null) return false
    const match = evaluate(trace, req)
    return match !== null && onMatch(key, match, trace)
  }

  const stop = new AbortController()
  try {
    let decoded = 0
    for (const ref of refs) {
      if (++decoded % YIELD_EVERY === 0) await yieldToEventLoop()
      signal.throwIfAborted()
      if (seen.has(ref.key)) continue
      metrics.inspectedTraces++
      metrics.inspectedSpans += BigInt(ref.spans)
      metrics.inspectedBytes += BigInt(ref.bytes)
      if (needles !== undefined && !ref.mayContain(needles)) continue
      const piece = ref.decode()
      if (!pieceMayMatch(piece, req.window, prefilter)) continue
      seen.add(ref.key)
      if (await decide(ref.key, ref.traceId, [piece], undefined)) return
    }
    if (deps.blocks === undefined || snapshot.length === 0) return
    const hits = deps.blocks.searchBlocks(tenant, {
      window: req.window,
      prefilter,
      signal: AbortSignal.any([signal, stop.signal]),
      stats: scan,
      concurrency: deps.concurrency,
      blocks: snapshot,
      onBlockDone: () => { metrics.completedJobs++ },
    })
    for await (const hit of hits) {
      const key = hit.traceId.toString('hex')
      if (seen.has(key)) continue
      seen.add(key)
      const memory = deps.memory.findLiveTrace(tenant, hit.traceId)
      if (await decide(key, hit.traceId, [memory, hit.trace], hit.reader)) {
        stop.abort() // ends the block reads still in flight before the loop closes them
        return
      }
    }
  } catch (err) {
    signal.throwIfAborted() // the caller's reason, not whatever the interrupted read threw
    throw err
  } finally {
    stop.abort()
    metrics.inspectedTraces += scan.tracesScanned
    metrics.inspectedSpans += BigInt(scan.rowsScanned)
    metrics.inspectedBytes += BigInt(scan.bytesRead)
  }
}

/** The window, duration bounds and query on one whole trace. */
function evaluate (trace: TracesData, req: VisitRequest): TraceMatch | null {
  let start: bigint | undefined
  let end: bigint | undefined
  let overlaps = false
  for (const rs of trace.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans) {
        if (start === undefined || s.startTimeUnixNano < start) start = s.startTimeUnixNano
        if (end === undefined || s.endTimeUnixNano > end) end = s.endTimeUnixNano
        if (!overlaps) overlaps = overlapsWindow(s.startTimeUnixNano, s.endTimeUnixNano, req.window)
      }
    }
  }
  if (!overlaps || start === undefined || end === undefined) return null
  const duration = end > start ? end - start : 0n
  if (req.minDurationNanos !== undefined && duration < req.minDurationNanos) return null
  if (req.maxDurationNanos !== undefined && duration > req.maxDurationNanos) return null
  return req.search.match(trace, { spss: req.spss })
}
