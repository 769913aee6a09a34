import type {
  AnyValue, InstrumentationScope, KeyValue, Resource, ResourceSpans, ScopeSpans, Span, SpanEvent, SpanLink, TracesData,
} from '../../common/otlp/model.ts'

/**
 * Reads Tempo's trace JSON (`GET /api/v2/traces/{id}` → `{"trace":{"resourceSpans":[…]}}`, or the
 * v1 `{"batches":[…]}`) into the model: ids in base64 (hex accepted too), 64-bit integers as
 * strings or numbers, enums by name or number, zero values omitted, the deprecated
 * `instrumentationLibrarySpans` accepted. Lenient on purpose (a viewer, not a validator): a
 * missing or mistyped field reads as its zero value. Returns null when there is no trace
 * (`{"trace":{}}`, `{}`).
 */
export function readTempoTrace (doc: unknown): TracesData | null {
  const root = obj(doc)
  const trace = 'trace' in root ? obj(root.trace) : root
  const batches = arr(trace.resourceSpans ?? trace.batches)
  if (batches.length === 0) return null
  return { resourceSpans: batches.map(resourceSpans) }
}

type Json = Record<string, unknown>

const SPAN_KINDS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER']
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR']

function obj (v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Json : {}
}

function arr (v: unknown): unknown[] {
  return Array.isArray(v) ? v : []
}

function text (v: unknown): string {
  return typeof v === 'string' ? v : ''
}

function num (v: unknown): number {
  const n = typeof v === 'string' ? Number(v) : v
  return typeof n === 'number' && Number.isFinite(n) ? n : 0
}

function u64 (v: unknown): bigint {
  if (typeof v === 'bigint') return v
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v)
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v)
  return 0n
}

function enumValue (v: unknown, names: string[]): number {
  if (typeof v === 'string') {
    const i = names.indexOf(v)
    return i >= 0 ? i : num(v)
  }
  return num(v)
}

/** An id: hex when it is exactly `bytes` bytes of hex, else base64 (Tempo's form). */
function id (v: unknown, bytes: number): Buffer {
  const s = text(v)
  if (s === '') return Buffer.alloc(0)
  if (s.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(s)) return Buffer.from(s, 'hex')
  return Buffer.from(s, 'base64')
}

function anyValue (v: unknown): AnyValue {
  const o = obj(v)
  if ('stringValue' in o) return { kind: 'string', value: text(o.stringValue) }
  if ('boolValue' in o) return { kind: 'bool', value: o.boolValue === true }
  if ('intValue' in o) return { kind: 'int', value: u64(o.intValue) }
  if ('doubleValue' in o) return { kind: 'double', value: num(o.doubleValue) }
  if ('bytesValue' in o) return { kind: 'bytes', value: Buffer.from(text(o.bytesValue), 'base64') }
  if ('arrayValue' in o) return { kind: 'array', value: arr(obj(o.arrayValue).values).map(anyValue) }
  if ('kvlistValue' in o) return { kind: 'kvlist', value: attributes(obj(o.kvlistValue).values) }
  return { kind: 'empty' }
}

function attributes (v: unknown): KeyValue[] {
  return arr(v).map((a) => ({ key: text(obj(a).key), value: anyValue(obj(a).value) }))
}

function resourceSpans (v: unknown): ResourceSpans {
  const o = obj(v)
  const resource: Resource | null = 'resource' in o
    ? { attributes: attributes(obj(o.resource).attributes), droppedAttributesCount: num(obj(o.resource).droppedAttributesCount) }
    : null
  return { resource, scopeSpans: arr(o.scopeSpans ?? o.instrumentationLibrarySpans).map(scopeSpans), schemaUrl: text(o.schemaUrl) }
}

function scopeSpans (v: unknown): ScopeSpans {
  const o = obj(v)
  const s = o.scope ?? o.instrumentationLibrary
  const scope: InstrumentationScope | null = s === undefined
    ? null
    : { name: text(obj(s).name), version: text(obj(s).version), attributes: attributes(obj(s).attributes), droppedAttributesCount: num(obj(s).droppedAttributesCount) }
  return { scope, spans: arr(o.spans).map(span), schemaUrl: text(o.schemaUrl) }
}

function span (v: unknown): Span {
  const o = obj(v)
  const status = obj(o.status)
  return {
    traceId: id(o.traceId, 16),
    spanId: id(o.spanId, 8),
    traceState: text(o.traceState),
    parentSpanId: id(o.parentSpanId, 8),
    flags: num(o.flags),
    name: text(o.name),
    kind: enumValue(o.kind, SPAN_KINDS),
    startTimeUnixNano: u64(o.startTimeUnixNano),
    endTimeUnixNano: u64(o.endTimeUnixNano),
    attributes: attributes(o.attributes),
    droppedAttributesCount: num(o.droppedAttributesCount),
    events: arr(o.events).map((e): SpanEvent => {
      const x = obj(e)
      return { timeUnixNano: u64(x.timeUnixNano), name: text(x.name), attributes: attributes(x.attributes), droppedAttributesCount: num(x.droppedAttributesCount) }
    }),
    droppedEventsCount: num(o.droppedEventsCount),
    links: arr(o.links).map((l): SpanLink => {
      const x = obj(l)
      return { traceId: id(x.traceId, 16), spanId: id(x.spanId, 8), traceState: text(x.traceState), attributes: attributes(x.attributes), droppedAttributesCount: num(x.droppedAttributesCount), flags: num(x.flags) }
    }),
    droppedLinksCount: num(o.droppedLinksCount),
    status: { code: enumValue(status.code, STATUS_CODES), message: text(status.message) },
  }
}
