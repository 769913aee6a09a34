import { decodeTracesProto, mergeTraces } from '../common/otlp/index.ts'
import type { TracesData } from '../common/otlp/model.ts'
import type { LiveTrace } from './live-traces.ts'

/**
 * One trace held in memory, as search sees it: cheap to list (no decoding), decoded on demand.
 * Its segments are the LiveTrace objects holding it when the list was taken (being flushed,
 * then live); fragments pushed to a live one later are seen by `decode` too.
 *
 * There is no time-window check here: memory keeps record times (Kafka timestamps), not span
 * times, and spans may lie anywhere relative to them, so only decoding tells.
 */
export interface MemoryTraceRef {
  readonly traceId: Buffer
  /** Lower-case hex of traceId. */
  readonly key: string
  /** Protobuf bytes of its fragments (what decode reads). */
  readonly bytes: number
  readonly spans: number
  /** Record time (ms) of the latest fragment. */
  readonly lastAppendMs: number
  /** The fragments decoded and merged (as TenantInstance.findTraceById). */
  decode (): TracesData
  /**
   * False when no conjunction of `needles` (prefilter-eval.ts byteNeedles) has all its byte
   * strings somewhere in the trace's fragments: then no span can match, without decoding.
   */
  mayContain (needles: readonly (readonly Buffer[])[]): boolean
}

/** A search piece: a trace's spans as one source holds them. */
export interface TracePiece {
  traceId: Buffer
  trace: TracesData
}

export function memoryTraceRef (segments: readonly LiveTrace[]): MemoryTraceRef {
  const first = segments[0]!
  let bytes = 0
  let spans = 0
  let lastAppendMs = first.lastAppendMs
  for (const s of segments) {
    bytes += s.bytes
    spans += s.spans
    if (s.lastAppendMs > lastAppendMs) lastAppendMs = s.lastAppendMs
  }
  return {
    traceId: first.id,
    key: first.key,
    bytes,
    spans,
    lastAppendMs,
    decode: () => mergeTraces(segments.flatMap((t) => t.fragments.map((f) => decodeTracesProto(f)))),
    mayContain: (needles) => needles.some((conj) => conj.every((n) => segments.some((t) => t.fragments.some((f) => f.includes(n))))),
  }
}
