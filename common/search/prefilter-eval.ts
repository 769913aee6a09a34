import type { AnyValue, KeyValue, Resource, Span, TracesData } from '../otlp/model.ts'
import type { PrefilterCondition, PrefilterField, PrefilterIntrinsic, PrefilterOp, PrefilterValue, SearchWindow, SpanPrefilter } from './prefilter.ts'

/**
 * The one evaluation of a SpanPrefilter (prefilter.ts), shared by memory (over the model) and
 * blocks (over Parquet rows and row-group statistics), so both prune alike. Pure functions.
 *
 * What "a span meets a condition" means here (the planner must emit conditions that every span
 * the query could match meets under these rules):
 * - An attribute is the FIRST key-value with that key, of the span (`span`) or of its resource
 *   (`resource`); OTLP requires keys to be unique, and the first one is what the blocks'
 *   dedicated columns hold (wal/format/v1.ts). `any` is met when either the span's or the
 *   resource's attribute meets it: that covers prefilter.ts's "the span's, else the resource's"
 *   and TraceQL's unscoped `.key` as the engine evaluates it (either), so it is safe for both.
 * - A missing attribute meets no condition (`!=` included), as TraceQL compares nil to nothing.
 * - Types compare only with their kind: strings with strings (UTF-8 byte order, as Parquet
 *   statistics order them), booleans with booleans (false < true), and numbers numerically
 *   across int and double (a bigint value and a double attribute, or a float value and an int
 *   attribute, compare as numbers, as TraceQL does). Arrays, kvlists, bytes and empty values
 *   meet nothing. NaN meets nothing.
 * - Intrinsics: `name`, `statusMessage` (strings), `duration` (end − start in ns, 0 when end is
 *   before start, as the blocks' duration_nano column), `status` and `kind` (OTLP enum numbers).
 */

type Scalar = string | bigint | number | boolean

/** Negative, zero or positive as `a` sorts before, with or after `b` in UTF-8 byte order (= code point order). */
export function compareUtf8 (a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i)
    let y = b.charCodeAt(i)
    if (x === y) continue
    // UTF-16 order differs from code point order only where surrogates meet U+E000..U+FFFF.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000
    }
    return x - y
  }
  return a.length - b.length
}

/** Exact numeric comparison of bigints and doubles (NaN when either is NaN). */
export function compareNumeric (a: bigint | number, b: bigint | number): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) || Number.isNaN(b) ? NaN : a < b ? -1 : a > b ? 1 : 0
  const sign = typeof a === 'bigint' ? 1 : -1
  const big = (typeof a === 'bigint' ? a : b) as bigint
  const num = (typeof a === 'bigint' ? b : a) as number
  if (Number.isNaN(num)) return NaN
  if (num === Infinity) return -sign
  if (num === -Infinity) return sign
  const floor = Math.floor(num)
  const fb = BigInt(floor)
  const c = big < fb ? -1 : big > fb ? 1 : num === floor ? 0 : -1
  return c * sign
}

/** Compares two scalars of compatible kinds; NaN when they do not compare. */
export function compareScalars (a: Scalar, b: Scalar): number {
  if (typeof a === 'string') return typeof b === 'string' ? compareUtf8(a, b) : NaN
  if (typeof a === 'boolean') return typeof b === 'boolean' ? Number(a) - Number(b) : NaN
  if (typeof b === 'string' || typeof b === 'boolean') return NaN
  return compareNumeric(a, b)
}

function opHolds (op: PrefilterOp, c: number): boolean {
  if (Number.isNaN(c)) return false
  switch (op) {
    case '=': return c === 0
    case '!=': return c !== 0
    case '<': return c < 0
    case '<=': return c <= 0
    case '>': return c > 0
    case '>=': return c >= 0
  }
}

/** `actual op wanted` for a scalar read from a span (an intrinsic or a typed column). */
export function scalarMeets (op: PrefilterOp, actual: Scalar | null | undefined, wanted: PrefilterValue): boolean {
  if (actual === null || actual === undefined) return false
  return opHolds(op, compareScalars(actual, wanted))
}

/** The scalar an attribute value compares as, or undefined for arrays, kvlists, bytes and empty. */
export function attributeScalar (v: AnyValue | undefined): Scalar | undefined {
  if (v === undefined) return undefined
  switch (v.kind) {
    case 'string': case 'bool': case 'int': case 'double': return v.value
    default: return undefined
  }
}

/** `attribute op wanted` (a missing or non-scalar attribute meets nothing). */
export function attributeMeets (op: PrefilterOp, actual: AnyValue | undefined, wanted: PrefilterValue): boolean {
  return scalarMeets(op, attributeScalar(actual), wanted)
}

/** The first attribute with this key, or undefined. */
export function firstAttribute (attrs: readonly KeyValue[], key: string): AnyValue | undefined {
  for (const kv of attrs) if (kv.key === key) return kv.value
  return undefined
}

export function spanDurationNanos (span: Pick<Span, 'startTimeUnixNano' | 'endTimeUnixNano'>): bigint {
  return span.endTimeUnixNano > span.startTimeUnixNano ? span.endTimeUnixNano - span.startTimeUnixNano : 0n
}

export function intrinsicValue (span: Span, name: PrefilterIntrinsic): string | bigint {
  switch (name) {
    case 'name': return span.name
    case 'statusMessage': return span.status.message
    case 'duration': return spanDurationNanos(span)
    case 'status': return BigInt(span.status.code)
    case 'kind': return BigInt(span.kind)
  }
}

export function conditionMet (cond: PrefilterCondition, span: Span, resource: Resource | null): boolean {
  const f = cond.field
  switch (f.scope) {
    case 'intrinsic': return scalarMeets(cond.op, intrinsicValue(span, f.name), cond.value)
    case 'span': return attributeMeets(cond.op, firstAttribute(span.attributes, f.key), cond.value)
    case 'resource': return attributeMeets(cond.op, firstAttribute(resource?.attributes ?? [], f.key), cond.value)
    case 'any': return attributeMeets(cond.op, firstAttribute(span.attributes, f.key), cond.value) || attributeMeets(cond.op, firstAttribute(resource?.attributes ?? [], f.key), cond.value)
  }
}

/** Whether the span may match (undefined prefilter: every span may). */
export function spanMayMatch (prefilter: SpanPrefilter | undefined, span: Span, resource: Resource | null): boolean {
  if (prefilter === undefined) return true
  return prefilter.anyOf.some((conj) => conj.every((c) => conditionMet(c, span, resource)))
}

/** True when [start, end] overlaps the window (both inclusive). */
export function overlapsWindow (start: bigint, end: bigint, window: SearchWindow): boolean {
  return (window.startUnixNano === undefined || end >= window.startUnixNano) && (window.endUnixNano === undefined || start <= window.endUnixNano)
}

/** True when the prefilter can skip everything (`anyOf: []`). */
export function matchesNothing (prefilter: SpanPrefilter | undefined): boolean {
  return prefilter !== undefined && prefilter.anyOf.length === 0
}

/**
 * Whether a piece of a trace (its spans held by one source) is a search candidate: one of its
 * spans overlaps the window and one (maybe another) may match the prefilter.
 */
export function pieceMayMatch (trace: TracesData, window: SearchWindow, prefilter: SpanPrefilter | undefined): boolean {
  if (matchesNothing(prefilter)) return false
  let overlaps = false
  let meets = prefilter === undefined
  for (const rs of trace.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        if (!overlaps) overlaps = overlapsWindow(span.startTimeUnixNano, span.endTimeUnixNano, window)
        if (!meets) meets = spanMayMatch(prefilter, span, rs.resource)
        if (overlaps && meets) return true
      }
    }
  }
  return false
}

// --- statistics -------------------------------------------------------------------------------

/** What a row group's statistics say about one column, for one condition. */
export interface ColumnRange {
  /** Rows in the group. */
  readonly rows: number
  /** Rows where the column is null. */
  readonly nullCount: number
  /** Bounds of the non-null values (a truncated bound is still a bound); undefined = unknown. */
  readonly min?: string | bigint | number | undefined
  readonly max?: string | bigint | number | undefined
  /** Whether min / max are values that occur (not truncated bounds). */
  readonly minExact: boolean
  readonly maxExact: boolean
  /** Whether a row whose column is null may still meet the condition (the column does not hold every value it compares with). */
  readonly nullsMayMatch: boolean
}

/** Whether some row of the group may meet `op wanted`, judged by the column's range. */
export function rangeMayMeet (op: PrefilterOp, wanted: PrefilterValue, r: ColumnRange): boolean {
  if (r.nullCount > 0 && r.nullsMayMatch) return true
  if (r.rows - r.nullCount <= 0) return false
  if (r.min === undefined || r.max === undefined || typeof wanted === 'boolean') return true
  const lo = compareScalars(wanted, r.min)
  const hi = compareScalars(wanted, r.max)
  if (Number.isNaN(lo) || Number.isNaN(hi)) return typeof wanted === 'number' && Number.isNaN(wanted) ? false : true
  switch (op) {
    case '=': return lo >= 0 && hi <= 0
    case '!=': return !(r.minExact && r.maxExact && lo === 0 && hi === 0)
    case '<': return lo > 0 // some value (min) < wanted
    case '<=': return lo >= 0
    case '>': return hi < 0
    case '>=': return hi <= 0
  }
}

/**
 * Where a condition's field has statistics: the range of the column that holds it for this
 * value's type, or undefined when no column can judge it (then it is "maybe").
 */
export type RangeLookup = (field: PrefilterField, value: PrefilterValue) => ColumnRange | undefined

/**
 * Whether some span of a row group may match, from column statistics only. `any` conditions
 * need both the span's and the resource's column (either attribute may meet them).
 */
export function rangesMayMatch (prefilter: SpanPrefilter | undefined, lookup: RangeLookup): boolean {
  if (prefilter === undefined) return true
  return prefilter.anyOf.some((conj) => conj.every((c) => conditionRangeMayMeet(c, lookup)))
}

function conditionRangeMayMeet (c: PrefilterCondition, lookup: RangeLookup): boolean {
  const f = c.field
  if (f.scope === 'any') {
    const span = lookup({ scope: 'span', key: f.key }, c.value)
    const resource = lookup({ scope: 'resource', key: f.key }, c.value)
    if (span === undefined || resource === undefined) return true
    return rangeMayMeet(c.op, c.value, span) || rangeMayMeet(c.op, c.value, resource)
  }
  const r = lookup(f, c.value)
  return r === undefined || rangeMayMeet(c.op, c.value, r)
}

/**
 * Byte strings a piece of OTLP protobuf must contain to possibly match: per conjunction, the
 * UTF-8 bytes of its `=` string conditions (protobuf stores strings raw, so a trace whose bytes
 * lack one cannot hold that value in any field). Undefined when some conjunction has none (no
 * byte test possible); memory search uses it to skip decoding most live traces.
 */
export function byteNeedles (prefilter: SpanPrefilter | undefined): Buffer[][] | undefined {
  if (prefilter === undefined) return undefined
  const out: Buffer[][] = []
  for (const conj of prefilter.anyOf) {
    const needles = conj.flatMap((c) => c.op === '=' && typeof c.value === 'string' && c.value !== '' ? [Buffer.from(c.value, 'utf8')] : [])
    if (needles.length === 0) return undefined
    out.push(needles)
  }
  return out
}
