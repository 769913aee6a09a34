/**
 * The contracts of search (issue: TraceQL search over memory and blocks, across the cluster),
 * shared by the TraceQL engine (query/traceql/), one node's search over its store and blocks
 * (query/search/local.ts) and the HTTP API and cluster fan-out. Shapes follow Tempo's
 * `tempopb.SearchResponse` (tempo-behaviour.md §6.2) but keep ids as bytes and times as bigint;
 * render.ts turns them into Tempo's JSON.
 */
import type { KeyValue, TracesData } from '../../common/otlp/model.ts'
import type { SearchWindow, SpanPrefilter } from '../../common/search/prefilter.ts'

/** One span of a span set, as search returns it (Tempo's `tempopb.Span`). */
export interface MatchedSpan {
  spanId: Buffer
  name: string
  startTimeUnixNano: bigint
  durationNanos: bigint
  /** The attributes the query's conditions and `select(...)` referenced, as found on this span (or its resource). */
  attributes: KeyValue[]
}

export interface SpanSet {
  /** At most `spss` spans, in the order the engine found them. */
  spans: MatchedSpan[]
  /** How many spans matched in total (may exceed `spans.length`). */
  matched: number
  /** Span-set level attributes: aggregate results of a pipeline, e.g. `{key: "count()", value: {int 3}}`. */
  attributes: KeyValue[]
}

/** One matching trace (Tempo's `TraceSearchMetadata`). */
export interface TraceMatch {
  traceId: Buffer
  /** The root span's service, or Tempo's "<root span not yet received>". */
  rootServiceName: string
  /** The root span's name; '' when there is no root span. */
  rootTraceName: string
  /** Earliest span start in the trace (all pieces merged). */
  startTimeUnixNano: bigint
  /** Latest span end − earliest span start, in ms (floor). */
  durationMs: number
  spanSets: SpanSet[]
  /** Per service: spans and spans with status error, over the whole trace. */
  serviceStats: Record<string, { spanCount: number, errorCount: number }>
}

/** A TraceQL query ready to run: what to prune with, and the match of one whole trace. */
export interface CompiledSearch {
  /** The query text as given (normalized whitespace is fine); sent to other nodes as is. */
  readonly query: string
  /** Conservative pruning for sources; undefined = no pruning possible (every span may match). */
  readonly prefilter: SpanPrefilter | undefined
  /**
   * Evaluates the query on one whole trace (every piece merged, spans deduplicated). Returns
   * null when it does not match. `spss` bounds the spans per span set.
   */
  match (trace: TracesData, options: { spss: number }): TraceMatch | null
}

/** Counters of work done, summed over sources and nodes (Tempo's `SearchMetrics`). */
export interface SearchMetrics {
  inspectedTraces: number
  inspectedBytes: bigint
  inspectedSpans: bigint
  totalBlocks: number
  completedJobs: number
  totalJobs: number
  totalBlockBytes: bigint
}

export interface SearchRequest {
  /** TraceQL (the `tags` form is converted to TraceQL by the HTTP layer). */
  query: string
  window: SearchWindow
  /** Trace duration bounds in ns (minDuration / maxDuration), inclusive; undefined = unbounded. */
  minDurationNanos?: bigint
  maxDurationNanos?: bigint
  /** Traces wanted (default 20, max 262,144). */
  limit: number
  /** Spans per span set (default 3, max 100). */
  spss: number
}

export interface SearchResult {
  /** Newest first (startTimeUnixNano descending), at most `limit`, one entry per trace id. */
  traces: TraceMatch[]
  metrics: SearchMetrics
}

/** Tag scopes of `/api/search/tags` (`none`/empty = all). */
export type TagScope = 'resource' | 'span' | 'intrinsic' | 'event' | 'link' | 'instrumentation' | 'trace'

/** A v2 tag value: `type` is TraceQL's static type name (`string`, `int`, `float`, `bool`, `duration`, `status`, `kind`). */
export interface TagValue { type: string, value: string }

/** A tag named as in `/api/v2/search/tag/{name}/values`: `resource.service.name`, `.foo`, `name`, `status`. */
export interface TagRef {
  scope: 'resource' | 'span' | 'any' | 'intrinsic' | 'event' | 'link' | 'instrumentation'
  /** Attribute key, or the intrinsic's name. */
  name: string
}

export interface TagNamesRequest {
  /** Undefined = every scope. */
  scope?: TagScope
  window: SearchWindow
  /** Optional TraceQL: only spans matching it contribute (Tempo's `q`). */
  filter?: CompiledSearch
}

export interface TagValuesRequest {
  tag: TagRef
  window: SearchWindow
  filter?: CompiledSearch
  /** Distinct values wanted at most. */
  limit: number
}

/**
 * One node's search over its own data (memory + head/WAL/complete blocks). The cluster fan-out
 * calls it on owners (through the internal protocol) and merges their answers.
 */
export interface LocalSearch {
  search (tenant: string, search: CompiledSearch, request: SearchRequest, signal: AbortSignal): Promise<SearchResult>
  /** Distinct attribute names per scope. */
  tagNames (tenant: string, request: TagNamesRequest, signal: AbortSignal): Promise<Map<TagScope, Set<string>>>
  /** Distinct values of one tag, typed. */
  tagValues (tenant: string, request: TagValuesRequest, signal: AbortSignal): Promise<TagValue[]>
}
