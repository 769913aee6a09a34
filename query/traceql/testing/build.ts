import type { AnyValue, KeyValue, Span, TracesData } from '../../../common/otlp/model.ts'

/**
 * Compact trace builders for tests: attribute values map from JS (string → string, bigint →
 * int, number → double, boolean → bool, Buffer → bytes, arrays → array), span ids from small
 * integers, times in ms.
 */
export type Attrs = Record<string, string | bigint | number | boolean | Buffer | unknown[]>

export interface SpanSpec {
  id: number
  /** 0 = root (empty parent id). */
  parent?: number
  name?: string
  kind?: number
  status?: number
  message?: string
  startMs?: number
  durationMs?: number
  attrs?: Attrs
}

export interface ResourceSpec {
  /** Sets service.name; omit for a resource without one. */
  service?: string
  attrs?: Attrs
  spans: SpanSpec[]
}

export const TRACE_ID = Buffer.from('0123456789abcdef0123456789abcdef', 'hex')

export function spanId (n: number): Buffer {
  const b = Buffer.alloc(8)
  b.writeUInt32BE(n, 4)
  return b
}

export function value (v: unknown): AnyValue {
  if (typeof v === 'string') return { kind: 'string', value: v }
  if (typeof v === 'bigint') return { kind: 'int', value: v }
  if (typeof v === 'number') return { kind: 'double', value: v }
  if (typeof v === 'boolean') return { kind: 'bool', value: v }
  if (Buffer.isBuffer(v)) return { kind: 'bytes', value: v }
  if (Array.isArray(v)) return { kind: 'array', value: v.map(value) }
  return { kind: 'empty' }
}

export function attrs (a: Attrs = {}): KeyValue[] {
  return Object.entries(a).map(([key, v]) => ({ key, value: value(v) }))
}

export function makeSpan (s: SpanSpec): Span {
  const start = BigInt(Math.round((s.startMs ?? 0) * 1e6)) + 1_700_000_000_000_000_000n
  return {
    traceId: TRACE_ID,
    spanId: spanId(s.id),
    traceState: '',
    parentSpanId: s.parent === undefined || s.parent === 0 ? Buffer.alloc(0) : spanId(s.parent),
    flags: 0,
    name: s.name ?? `span-${s.id}`,
    kind: s.kind ?? 0,
    startTimeUnixNano: start,
    endTimeUnixNano: start + BigInt(Math.round((s.durationMs ?? 1) * 1e6)),
    attributes: attrs(s.attrs),
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: s.status ?? 0, message: s.message ?? '' },
  }
}

export function makeTrace (resources: ResourceSpec[]): TracesData {
  return {
    resourceSpans: resources.map((r) => ({
      resource: { attributes: [...(r.service === undefined ? [] : attrs({ 'service.name': r.service })), ...attrs(r.attrs)], droppedAttributesCount: 0 },
      scopeSpans: [{ scope: null, spans: r.spans.map(makeSpan), schemaUrl: '' }],
      schemaUrl: '',
    })),
  }
}
