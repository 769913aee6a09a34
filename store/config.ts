import type { ConfigIssue, ConfigOf } from '../common/config-schema.ts'

/**
 * Per-tenant ingestion limits (`overrides:` in YAML, flat). Tempo nests them under
 * `overrides.defaults.ingestion.max_traces_per_user` and `overrides.defaults.global.max_bytes_per_trace`;
 * we have no per-tenant overrides yet, so the defaults are the only level and the keys sit flat.
 */
export const overridesSchema = {
  max_traces_per_user: { type: 'int', default: 10_000, min: 0, doc: 'Live traces a tenant may hold in memory; a new trace id beyond it is refused (its spans counted as `live_traces_exceeded`), existing traces keep accepting spans. 0 = unlimited (Tempo overrides.defaults.ingestion.max_traces_per_user).' },
  max_bytes_per_trace: { type: 'bytes', default: 5_000_000, min: 0, doc: 'Cumulative protobuf bytes of one trace; the span that would pass it and every later span of that trace are refused (`trace_too_large`). 0 = unlimited (Tempo overrides.defaults.global.max_bytes_per_trace).' },
} as const

export type OverridesConfig = ConfigOf<typeof overridesSchema>

/** Cross-field rules (none yet; single-field bounds come from the schema). */
export function validateOverridesConfig (_c: OverridesConfig, _prefix = 'overrides'): ConfigIssue[] {
  return []
}

/**
 * The memory side of `live_store:` (Tempo's names and defaults, tempo-behaviour.md §1.3): when a
 * live trace is cut from memory into the head block, and when consumption waits for memory.
 */
export const liveTracesSchema = {
  max_trace_idle: { type: 'duration', default: 5000, min: 1, doc: 'A trace with no new span for this long (by record time) is flushed from memory into the head block.' },
  max_trace_live: { type: 'duration', default: 30_000, min: 1, doc: 'A trace in memory this long is flushed even if still receiving; later spans start a new segment of the same trace. Must be ≥ `max_trace_idle`.' },
  flush_check_period: { type: 'duration', default: 5000, min: 1, doc: 'Period of the cut-to-WAL loop (idle/max-live cut, then the head-block cut check).' },
  max_live_traces_bytes: { type: 'bytes', default: 250_000_000, min: 0, doc: 'Per-tenant live-trace bytes above which consumption pauses (backpressure: Kafka lag grows instead of memory) until the flush brings it back under. 0 = no limit.' },
} as const

export type LiveTracesConfig = ConfigOf<typeof liveTracesSchema>

export function validateLiveTracesConfig (c: LiveTracesConfig, prefix = 'live_store'): ConfigIssue[] {
  return c.max_trace_live < c.max_trace_idle ? [{ key: `${prefix}.max_trace_live`, message: `must be ≥ max_trace_idle (${c.max_trace_idle}ms), got ${c.max_trace_live}ms` }] : []
}
