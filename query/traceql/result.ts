import type { KeyValue, Span } from '../../common/otlp/model.ts'
import { StatusCode } from '../../common/otlp/model.ts'
import type { MatchedSpan, SpanSet, TraceMatch } from '../search/types.ts'
import type { FieldExpr, FieldRef, Query, SpansetExpr, Stage } from './ast.ts'
import { isTraceIntrinsic, kindName, statusName } from './ast.ts'
import type { SpanSetValue } from './compile-spanset.ts'
import { printField } from './printer.ts'
import type { TraceView } from './trace-view.ts'
import { findAttribute, serviceNameOf, spanDuration } from './trace-view.ts'

/** Tempo's rootServiceName for a trace whose root span has not arrived (pkg/search/util.go). */
export const ROOT_SPAN_NOT_YET_RECEIVED = '<root span not yet received>'

/**
 * The fields whose values search returns on each span, in the order the query first names
 * them: every field a condition, aggregate or select() references. As in Tempo's search
 * response, name and duration are span fields rather than attributes, and trace-level
 * intrinsics are not repeated per span.
 */
export function returnedFields (q: Query): FieldRef[] {
  const byText = new Map<string, FieldRef>()
  const add = (f: FieldRef): void => {
    if (f.type === 'intrinsic' && (f.name === 'name' || f.name === 'duration' || isTraceIntrinsic(f.name))) return
    const text = printField(f)
    if (!byText.has(text)) byText.set(text, f)
  }
  const fieldExpr = (e: FieldExpr): void => {
    switch (e.type) {
      case 'logical': fieldExpr(e.left); fieldExpr(e.right); break
      case 'not': fieldExpr(e.expr); break
      case 'compare': fieldExpr(e.left); fieldExpr(e.right); break
      case 'attribute': case 'intrinsic': add(e); break
      default: break
    }
  }
  const node = (e: SpansetExpr | Stage): void => {
    switch (e.type) {
      case 'pipeline': node(e.source); e.stages.forEach(node); break
      case 'filter': if (e.expr !== null) fieldExpr(e.expr); break
      case 'spansetOp': node(e.left); node(e.right); break
      case 'spansetStage': node(e.expr); break
      case 'aggregate': if (e.field !== null) add(e.field); break
      case 'select': e.fields.forEach(add); break
    }
  }
  node(q)
  return [...byText.values()]
}

/**
 * One span's returned attributes: the attribute objects themselves (shared with the trace, not
 * copied) for span./resource. fields and, for an unscoped `.x`, the span's else the resource's;
 * status and kind as their TraceQL names, statusMessage as is. An attribute reached through two
 * references (`span.x` and `.x`) is listed once.
 */
export function spanAttributes (fields: readonly FieldRef[], view: TraceView, i: number): KeyValue[] {
  const span = view.spans[i] as Span
  const out: KeyValue[] = []
  for (const f of fields) {
    if (f.type === 'intrinsic') {
      if (f.name === 'status') out.push({ key: 'status', value: { kind: 'string', value: statusName(span.status.code) } })
      else if (f.name === 'kind') out.push({ key: 'kind', value: { kind: 'string', value: kindName(span.kind) } })
      else if (f.name === 'statusMessage') out.push({ key: 'statusMessage', value: { kind: 'string', value: span.status.message } })
      continue
    }
    const kv = (f.scope === 'resource' ? undefined : findAttribute(span.attributes, f.key)) ??
      (f.scope === 'span' ? undefined : findAttribute(view.resources[i] as KeyValue[], f.key))
    if (kv !== undefined && !out.includes(kv)) out.push(kv)
  }
  return out
}

export function buildMatch (view: TraceView, result: SpanSetValue, fields: readonly FieldRef[], spss: number): TraceMatch {
  const shown = result.spans.slice(0, Math.max(0, spss))
  const spans: MatchedSpan[] = shown.map((i) => {
    const s = view.spans[i] as Span
    return { spanId: s.spanId, name: s.name, startTimeUnixNano: s.startTimeUnixNano, durationNanos: spanDuration(s), attributes: spanAttributes(fields, view, i) }
  })
  const spanSet: SpanSet = { spans, matched: result.spans.length, attributes: [...result.attributes] }
  const root = view.root >= 0 ? view.spans[view.root] as Span : undefined
  return {
    traceId: (view.spans[0] as Span).traceId,
    rootServiceName: root === undefined ? ROOT_SPAN_NOT_YET_RECEIVED : view.rootServiceName ?? '',
    rootTraceName: root?.name ?? '',
    startTimeUnixNano: view.minStart,
    durationMs: Number((view.maxEnd > view.minStart ? view.maxEnd - view.minStart : 0n) / 1_000_000n),
    spanSets: [spanSet],
    serviceStats: serviceStats(view),
  }
}

/**
 * Spans and error spans per resource service.name over the whole trace ('' for resources
 * without one). A null-prototype object, so a service called `__proto__` is just a key.
 */
function serviceStats (view: TraceView): TraceMatch['serviceStats'] {
  const stats = Object.create(null) as TraceMatch['serviceStats']
  let lastResource: KeyValue[] | undefined
  let entry: { spanCount: number, errorCount: number } | undefined
  for (let i = 0; i < view.spans.length; i++) {
    const res = view.resources[i] as KeyValue[]
    if (res !== lastResource || entry === undefined) {
      const name = serviceNameOf(res) ?? ''
      entry = stats[name] ??= { spanCount: 0, errorCount: 0 }
      lastResource = res
    }
    entry.spanCount++
    if ((view.spans[i] as Span).status.code === StatusCode.ERROR) entry.errorCount++
  }
  return stats
}
