import { Counter, Gauge } from 'prom-client'
import type { Registry } from 'prom-client'
import { discardedSpansCounter } from '../common/metrics.ts'

/**
 * Label values of `tempo_discarded_spans_total{reason}` the store produces (Tempo's
 * `modules/overrides/discarded_spans.go` reasons for the live-store).
 */
export const DiscardReason = {
  liveTracesExceeded: 'live_traces_exceeded',
  traceTooLarge: 'trace_too_large',
} as const
export type DiscardReason = typeof DiscardReason[keyof typeof DiscardReason]

/** The store's metrics, with Tempo's names, on the injected registry (never the global one). */
export function createStoreMetrics (registry: Registry) {
  const registers = [registry]
  return {
    /** Shared with the distributor (one metric per registry, common/metrics.ts). */
    discardedSpans: discardedSpansCounter(registry),
    tracesCreated: new Counter({ name: 'tempo_live_store_traces_created_total', help: 'Traces written from memory to the head block, by tenant (a trace cut twice, e.g. by max_trace_live, counts twice).', labelNames: ['tenant'] as const, registers }),
    /** Data-quality warnings of flushed traces, counted from what the head block reports. */
    warnings: new Counter({ name: 'tempo_warnings_total', help: 'Data-quality warnings of traces flushed to the WAL, by tenant and reason (outside_ingestion_time_slack counts spans, the others traces).', labelNames: ['tenant', 'reason'] as const, registers }),
    liveTraces: new Gauge({ name: 'tempo_live_store_live_traces', help: 'Live traces held in memory, by tenant.', labelNames: ['tenant'] as const, registers }),
    liveTraceBytes: new Gauge({ name: 'tempo_live_store_live_trace_bytes', help: 'Protobuf bytes of the spans of the live traces, by tenant.', labelNames: ['tenant'] as const, registers }),
  }
}

export type StoreMetrics = ReturnType<typeof createStoreMetrics>
