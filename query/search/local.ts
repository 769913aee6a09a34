import { collectTagNames, collectTagValues } from './local-tags.ts'
import { emptyMetrics, visitMatches } from './local-visit.ts'
import type { LocalBlocks, LocalMemory, VisitDeps } from './local-visit.ts'
import type { LocalSearch, SearchRequest, SearchResult, TraceMatch } from './types.ts'

export type { LocalBlocks, LocalMemory } from './local-visit.ts'

export interface LocalSearchOptions {
  /** Live traces (TraceStore). */
  store: LocalMemory
  /** Head, WAL and complete blocks (BlockStore); none = memory only. */
  blocks?: LocalBlocks
  /** Blocks read at once per query (default 2: the node has few cores and other work). */
  maxConcurrency?: number
  /** Bytes of distinct tag names or values one query collects at most (Tempo's max_bytes_per_tag_values_query, default 1 MB). */
  maxTagBytes?: number
}

const DEFAULT_LIMIT = 20

/**
 * One node's search over its own data (types.ts LocalSearch): memory first, then blocks newest
 * first; a trace split across memory and blocks is matched as one trace (local-visit.ts).
 * Unlike Tempo, traces still in memory are searchable (tempo-behaviour.md, difference (c)).
 */
export function createLocalSearch (opts: LocalSearchOptions): LocalSearch {
  const deps: VisitDeps = { memory: opts.store, blocks: opts.blocks, concurrency: Math.max(1, opts.maxConcurrency ?? 2) }
  const maxTagBytes = opts.maxTagBytes ?? 1_000_000
  return {
    async search (tenant, search, request: SearchRequest, signal): Promise<SearchResult> {
      const limit = request.limit > 0 ? request.limit : DEFAULT_LIMIT
      const metrics = emptyMetrics()
      const found = new Map<string, TraceMatch>()
      await visitMatches(deps, tenant, {
        search,
        window: request.window,
        minDurationNanos: request.minDurationNanos,
        maxDurationNanos: request.maxDurationNanos,
        spss: request.spss,
      }, signal, metrics, (key, match) => {
        if (!found.has(key)) found.set(key, match)
        return found.size >= limit
      })
      const traces = [...found.values()].sort(newestFirst).slice(0, limit)
      return { traces, metrics }
    },
    tagNames: (tenant, request, signal) => collectTagNames(deps, tenant, request, signal, maxTagBytes),
    tagValues: (tenant, request, signal) => collectTagValues(deps, tenant, request, signal, maxTagBytes),
  }
}

/** startTimeUnixNano descending, then trace id (so equal starts order the same everywhere). */
function newestFirst (a: TraceMatch, b: TraceMatch): number {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano > b.startTimeUnixNano ? -1 : 1
  return Buffer.compare(a.traceId, b.traceId)
}
