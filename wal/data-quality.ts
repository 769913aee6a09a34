import { SpanKind } from '../common/otlp/model.ts'
import type { Span } from '../common/otlp/model.ts'

/**
 * The data-quality warnings Tempo's vParquet4 WAL append emits per trace
 * (`tempo_warnings_total{reason="rootless_trace_flushed_to_wal" | "disconnected_trace_flushed_to_wal"}`),
 * with the semantics of Tempo's `assignNestedSetModelBoundsAndServiceStats`
 * (tempodb/encoding/vparquet4/nested_set_model.go), which decides "connected":
 *
 * - a root span is one with an empty parent span id;
 * - a trace without any root span is rootless, and also NOT connected (Tempo returns false
 *   before building the tree), so it counts under both reasons;
 * - a trace where more than two spans share a span id is not connected (invalid data);
 * - otherwise every non-root span must find its parent: the one span with that id, or, when two
 *   spans share it (Zipkin client/server pairs), the one of the opposite kind (a SERVER span's
 *   parent is the CLIENT one; any other span's parent is the SERVER one). A span whose parent is
 *   not found makes the trace disconnected.
 */
export interface TraceShape {
  rootless: boolean
  disconnected: boolean
}

export const WarningReason = {
  outsideIngestionTimeSlack: 'outside_ingestion_time_slack',
  rootlessTraceFlushedToWal: 'rootless_trace_flushed_to_wal',
  disconnectedTraceFlushedToWal: 'disconnected_trace_flushed_to_wal',
} as const

/** Counts per `tempo_warnings_total` reason for one segment (the caller adds them to the metric). */
// A type alias (not an interface) so it is assignable to a Record of reasons (store/flusher.ts).
export type SegmentWarnings = {
  /** Spans whose start or end lies outside their trace's ingestion-slack window. */
  outside_ingestion_time_slack: number
  /** Traces without a root span. */
  rootless_trace_flushed_to_wal: number
  /** Traces whose spans do not form a connected tree (see TraceShape). */
  disconnected_trace_flushed_to_wal: number
}

export function noWarnings (): SegmentWarnings {
  return { outside_ingestion_time_slack: 0, rootless_trace_flushed_to_wal: 0, disconnected_trace_flushed_to_wal: 0 }
}

export function traceShape (spans: readonly Span[]): TraceShape {
  const byId = new Map<string, Span[]>()
  let roots = 0
  let tooManyShared = false
  for (const s of spans) {
    if (s.parentSpanId.length === 0) roots++
    const key = s.spanId.toString('latin1')
    const same = byId.get(key)
    if (same === undefined) byId.set(key, [s])
    else if (same.push(s) > 2) tooManyShared = true
  }
  if (roots === 0) return { rootless: true, disconnected: true }
  if (tooManyShared) return { rootless: false, disconnected: true }
  for (const s of spans) {
    if (s.parentSpanId.length === 0) continue
    if (findParent(byId.get(s.parentSpanId.toString('latin1')), s) === undefined) return { rootless: false, disconnected: true }
  }
  return { rootless: false, disconnected: false }
}

function findParent (candidates: Span[] | undefined, child: Span): Span | undefined {
  if (candidates === undefined) return undefined
  if (candidates.length === 1) return candidates[0]
  const want = child.kind === SpanKind.SERVER ? SpanKind.CLIENT : SpanKind.SERVER
  return candidates.find((c) => c.kind === want)
}
