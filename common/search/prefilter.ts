/**
 * What a search asks of the data before any TraceQL runs: a time window and conditions a span
 * must meet to possibly match, in a form block and memory readers check without knowing
 * TraceQL (wal/ and store/ must not parse it). The TraceQL planner (query/traceql/) derives it;
 * readers use it only to skip data, never to decide a match: a source that cannot check a
 * condition treats it as "maybe", so pruning is always conservative.
 */

/** An intrinsic of a span as TraceQL names it. `duration` is in nanoseconds (bigint). */
export type PrefilterIntrinsic = 'name' | 'duration' | 'status' | 'kind' | 'statusMessage'

export type PrefilterField =
  | { readonly scope: 'intrinsic', readonly name: PrefilterIntrinsic }
  /** `any` = TraceQL's unscoped `.key`: the span's attribute, else the resource's. */
  | { readonly scope: 'resource' | 'span' | 'any', readonly key: string }

export type PrefilterOp = '=' | '!=' | '<' | '<=' | '>' | '>='

/**
 * Strings for strings; `bigint` for integers and durations (ns); `number` for floats; booleans.
 * `status` and `kind` are OTLP enum numbers as `bigint` (StatusCode / SpanKind in common/otlp/model.ts).
 */
export type PrefilterValue = string | bigint | number | boolean

export interface PrefilterCondition {
  readonly field: PrefilterField
  readonly op: PrefilterOp
  readonly value: PrefilterValue
}

/**
 * Disjunctive normal form: a span can match only if it meets every condition of at least one
 * entry of `anyOf`. An empty conjunction (`[]`) means "any span"; `anyOf: []` means no span can
 * match (a source may then skip everything).
 */
export interface SpanPrefilter {
  readonly anyOf: readonly (readonly PrefilterCondition[])[]
}

/**
 * The search window: a trace is considered when one of its spans overlaps
 * [startUnixNano, endUnixNano] (both inclusive, either side optional).
 */
export interface SearchWindow {
  readonly startUnixNano?: bigint
  readonly endUnixNano?: bigint
}
