import type { KeyValue, Span, TracesData } from '../../common/otlp/model.ts'

/**
 * One trace flattened for evaluation, built once per `match` call: every span in trace order
 * (resourceSpans → scopeSpans → spans) with a pointer to its resource's attributes, so a
 * predicate is a function of a span index and the engine never walks the nested OTLP shape
 * again. Parent links are only built when the query has structural operators.
 */
export interface TraceView {
  readonly spans: Span[]
  /** Per span, its resource's attributes (a shared array; [] when the resource is absent). */
  readonly resources: KeyValue[][]
  /** Index of the root span (the first with an empty parent id), -1 when none arrived yet. */
  readonly root: number
  readonly minStart: bigint
  readonly maxEnd: bigint
  /** max end − min start, never negative. */
  readonly traceDuration: bigint
  /** The root span's name; undefined without a root. */
  readonly rootName: string | undefined
  /** The root span's resource's service.name; undefined without a root or a string service.name. */
  readonly rootServiceName: string | undefined
  /** Per span, the index of its parent span in this trace, -1 when absent. Null unless requested. */
  readonly parent: Int32Array | null
}

const EMPTY: KeyValue[] = []

export function buildTraceView (trace: TracesData, withParents: boolean): TraceView {
  const spans: Span[] = []
  const resources: KeyValue[][] = []
  for (const rs of trace.resourceSpans) {
    const attrs = rs.resource?.attributes ?? EMPTY
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) { spans.push(span); resources.push(attrs) }
    }
  }
  let root = -1
  let minStart = 0n
  let maxEnd = 0n
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i] as Span
    if (i === 0 || s.startTimeUnixNano < minStart) minStart = s.startTimeUnixNano
    if (i === 0 || s.endTimeUnixNano > maxEnd) maxEnd = s.endTimeUnixNano
    if (root < 0 && s.parentSpanId.length === 0) root = i
  }
  const rootSpan = root >= 0 ? spans[root] : undefined
  return {
    spans,
    resources,
    root,
    minStart,
    maxEnd,
    traceDuration: maxEnd > minStart ? maxEnd - minStart : 0n,
    rootName: rootSpan?.name,
    rootServiceName: root >= 0 ? serviceNameOf(resources[root] as KeyValue[]) : undefined,
    parent: withParents ? parentIndex(spans) : null,
  }
}

/** A span's duration in ns; 0 when the end is before the start (bad data, not negative time). */
export function spanDuration (s: Span): bigint {
  return s.endTimeUnixNano > s.startTimeUnixNano ? s.endTimeUnixNano - s.startTimeUnixNano : 0n
}

/** The string `service.name` of a resource's attributes (first occurrence), undefined otherwise. */
export function serviceNameOf (attrs: KeyValue[]): string | undefined {
  for (const kv of attrs) {
    if (kv.key === 'service.name') return kv.value.kind === 'string' ? kv.value.value : undefined
  }
  return undefined
}

/** The first attribute with this key, as OTLP allows duplicates and the first one wins. */
export function findAttribute (attrs: KeyValue[], key: string): KeyValue | undefined {
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i] as KeyValue
    if (kv.key === key) return kv
  }
  return undefined
}

/**
 * Parent indices by span id (the first span with an id wins when ids repeat). A span may name
 * itself or form a cycle with others; the structural operators are written to terminate anyway.
 */
function parentIndex (spans: Span[]): Int32Array {
  const byId = new Map<number | string, number>()
  for (let i = 0; i < spans.length; i++) {
    const id = idKey((spans[i] as Span).spanId)
    if (!byId.has(id)) byId.set(id, i)
  }
  const parent = new Int32Array(spans.length).fill(-1)
  for (let i = 0; i < spans.length; i++) {
    const p = (spans[i] as Span).parentSpanId
    if (p.length > 0) parent[i] = byId.get(idKey(p)) ?? -1
  }
  return parent
}

/**
 * A Map key for a span id without allocating a string per span: an 8-byte id read as a double
 * is a distinct number for every distinct bit pattern except NaNs and ±0 (which Map would
 * conflate), and those few fall back to a string, which never equals a number.
 */
function idKey (id: Buffer): number | string {
  if (id.length === 8) {
    const d = id.readDoubleBE(0)
    if (d === d && d !== 0) return d
  }
  return id.toString('latin1')
}
