/**
 * Merging search answers, from several tenants of one node and from several nodes of the
 * cluster, as Tempo's querier merges its live-stores' answers (tempo-behaviour.md §5.2 step 3):
 *
 * - search: each trace id once (the first answer that has it wins), newest first
 *   (startTimeUnixNano descending; ties by trace id, for a stable order), at most `limit`, the
 *   metrics summed;
 * - tag names: the union per scope, sorted; with `limit`, at most that many per scope;
 * - tag values: the union (by type and value), sorted by value then type, at most `limit` values
 *   and about `maxBytes` of value text (Tempo's `max_bytes_per_tag_values_query`, 1 MB).
 */
import { byCodePoint } from './render.ts'
import type { SearchMetrics, SearchResult, TagScope, TagValue, TraceMatch } from './types.ts'

export function emptyMetrics (): SearchMetrics {
  return { inspectedTraces: 0, inspectedBytes: 0n, inspectedSpans: 0n, totalBlocks: 0, completedJobs: 0, totalJobs: 0, totalBlockBytes: 0n }
}

export function mergeSearchResults (results: readonly SearchResult[], limit: number): SearchResult {
  const byId = new Map<string, TraceMatch>()
  const metrics = emptyMetrics()
  for (const r of results) {
    for (const t of r.traces) {
      const key = t.traceId.toString('hex')
      if (!byId.has(key)) byId.set(key, t)
    }
    addMetrics(metrics, r.metrics)
  }
  const traces = [...byId.entries()]
    .sort(([ka, a], [kb, b]) => (a.startTimeUnixNano > b.startTimeUnixNano ? -1 : a.startTimeUnixNano < b.startTimeUnixNano ? 1 : ka < kb ? -1 : ka > kb ? 1 : 0))
    .slice(0, Math.max(0, limit))
    .map(([, t]) => t)
  return { traces, metrics }
}

function addMetrics (into: SearchMetrics, m: SearchMetrics): void {
  into.inspectedTraces += m.inspectedTraces
  into.inspectedBytes += m.inspectedBytes
  into.inspectedSpans += m.inspectedSpans
  into.totalBlocks += m.totalBlocks
  into.completedJobs += m.completedJobs
  into.totalJobs += m.totalJobs
  into.totalBlockBytes += m.totalBlockBytes
}

export type TagNames = Map<TagScope, Set<string>>

/** The union per scope; `limit` keeps the first names per scope in sorted order. */
export function mergeTagNames (answers: readonly ReadonlyMap<TagScope, ReadonlySet<string>>[], limit?: number): TagNames {
  const out: TagNames = new Map()
  for (const a of answers) {
    for (const [scope, names] of a) {
      let set = out.get(scope)
      if (set === undefined) out.set(scope, set = new Set())
      for (const n of names) set.add(n)
    }
  }
  if (limit !== undefined) {
    for (const [scope, names] of out) {
      if (names.size > limit) out.set(scope, new Set([...names].sort(byCodePoint).slice(0, limit)))
    }
  }
  return out
}

/** Tempo's `max_bytes_per_tag_values_query` default. */
export const MAX_TAG_VALUES_BYTES = 1_000_000

export function mergeTagValues (answers: readonly (readonly TagValue[])[], limit: number, maxBytes = MAX_TAG_VALUES_BYTES): TagValue[] {
  const seen = new Map<string, TagValue>()
  for (const values of answers) {
    for (const v of values) {
      const key = `${v.type}\u0000${v.value}`
      if (!seen.has(key)) seen.set(key, v)
    }
  }
  const sorted = [...seen.values()].sort((a, b) => byCodePoint(a.value, b.value) || byCodePoint(a.type, b.type))
  const out: TagValue[] = []
  let bytes = 0
  for (const v of sorted) {
    if (out.length >= limit) break
    bytes += Buffer.byteLength(v.value) + Buffer.byteLength(v.type)
    if (bytes > maxBytes) break
    out.push(v)
  }
  return out
}
