import type { TraceMatch } from '../../search/types.ts'

/** A TraceMatch in a shape deepStrictEqual compares by content (service stats as sorted pairs). */
export function normalizeMatch (m: TraceMatch | null): unknown {
  if (m === null) return null
  return { ...m, serviceStats: Object.entries(m.serviceStats).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0) }
}
