import type { AnyValue, KeyValue, Span } from '../../common/otlp/model.ts'
import type { AggregateFn, CompareOp, FieldRef, Literal } from './ast.ts'
import type { TraceView } from './trace-view.ts'
import { findAttribute, spanDuration } from './trace-view.ts'

/**
 * Pipeline aggregates over the spans of a span set. Decisions where Tempo is loose:
 * - Only numeric values take part (int and double attributes, durations); spans where the
 *   field is missing or not a number are skipped. Without any value the aggregate has none and
 *   its filter fails (count() always has a value).
 * - An unscoped `.x` reads the span's attribute, else the resource's (Tempo's Attribute lookup).
 * - Integral inputs (ints, durations) give exact integer min / max / sum; anything involving a
 *   double is computed in doubles, in span order. avg is always a double. min / max fold with
 *   `x < m` / `x > m` from the first value, so a NaN first value sticks and later NaNs are ignored.
 */
export type AggregateValue = bigint | number

export function aggregate (fn: AggregateFn, field: FieldRef | null, view: TraceView, spans: readonly number[]): AggregateValue | undefined {
  if (fn === 'count' || field === null) return BigInt(spans.length)
  const ints: bigint[] = []
  const all: AggregateValue[] = []
  for (const i of spans) {
    const v = numericValue(field, view, i)
    if (v === undefined) continue
    all.push(v)
    if (typeof v === 'bigint') ints.push(v)
  }
  if (all.length === 0) return undefined
  const integral = ints.length === all.length
  switch (fn) {
    case 'sum': return integral ? ints.reduce((a, b) => a + b, 0n) : all.reduce<number>((a, b) => a + Number(b), 0)
    case 'avg': return (integral ? Number(ints.reduce((a, b) => a + b, 0n)) : all.reduce<number>((a, b) => a + Number(b), 0)) / all.length
    case 'min': case 'max': {
      const better = fn === 'min' ? (x: AggregateValue, m: AggregateValue) => x < m : (x: AggregateValue, m: AggregateValue) => x > m
      const values = integral ? ints : all.map(Number)
      let m = values[0] as AggregateValue
      for (const x of values) if (better(x, m)) m = x
      return m
    }
  }
}

function numericValue (f: FieldRef, view: TraceView, i: number): AggregateValue | undefined {
  const span = view.spans[i] as Span
  if (f.type === 'intrinsic') {
    if (f.name === 'duration') return spanDuration(span)
    if (f.name === 'traceDuration') return view.traceDuration
    return undefined
  }
  const kv = (f.scope === 'resource' ? undefined : findAttribute(span.attributes, f.key)) ??
    (f.scope === 'span' ? undefined : findAttribute(view.resources[i] as KeyValue[], f.key))
  return kv === undefined ? undefined : numberOf(kv.value)
}

function numberOf (v: AnyValue): AggregateValue | undefined {
  return v.kind === 'int' ? v.value : v.kind === 'double' ? v.value : undefined
}

/** The aggregate against the filter's literal: exact between integers, in doubles otherwise. */
export function compareAggregate (op: Exclude<CompareOp, '=~' | '!~'>, value: AggregateValue, lit: Literal): boolean {
  const l = lit.type === 'int' || lit.type === 'duration' ? lit.value : lit.type === 'float' ? lit.value : undefined
  if (l === undefined) return false
  const [a, b] = typeof value === 'bigint' && typeof l === 'bigint' ? [value, l] : [Number(value), Number(l)]
  switch (op) {
    case '=': return a === b
    case '!=': return a !== b
    case '<': return a < b
    case '<=': return a <= b
    case '>': return a > b
    case '>=': return a >= b
  }
}

/** How a span set reports the value: ints stay ints, the rest are doubles. */
export function aggregateAttribute (key: string, value: AggregateValue): KeyValue {
  return { key, value: typeof value === 'bigint' ? { kind: 'int', value } : { kind: 'double', value } }
}
