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
