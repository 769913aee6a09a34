import type {
  AnyValue, InstrumentationScope, KeyValue, Resource, ResourceSpans, ScopeSpans, Span, SpanEvent, SpanLink, Status, TracesData,
} from './model.ts'

/**
 * Renders TracesData as JSON text in one of two dialects:
 *
 * - `otlp`: OTLP/JSON (the spec's JSON encoding): trace/span ids in lower-case hex, 64-bit
 *   integers as decimal strings, enums as numbers;
 * - `tempo`: what Grafana Tempo's `/api/traces/{id}` returns (gogo jsonpb of tempopb): ids and
 *   bytes in base64, 64-bit integers as strings, enums by name (`SPAN_KIND_SERVER`,
 *   `STATUS_CODE_ERROR`).
 *
 * Both follow protobuf JSON conventions: lowerCamelCase keys in proto declaration order, zero
 * values omitted (0, '', empty ids, empty lists, UNSPECIFIED/UNSET enums), an AnyValue's member
 * always written (it is set, even when zero), a Span's status always written (`"status":{}` when
 * default, as jsonpb prints the non-nullable status), a null resource/scope omitted. Doubles that
 * are not finite become "NaN"/"Infinity"/"-Infinity" as in protobuf JSON.
 *
 * The top-level key is `resourceSpans` (OTLP, Tempo v2) or `batches` (Tempo's v1 trace API).
 */
export interface EncodeJsonOptions {
  dialect: 'otlp' | 'tempo'
  /** Default `resourceSpans`. */
  topLevelKey?: 'resourceSpans' | 'batches'
}

export function encodeTracesJson (data: TracesData, options: EncodeJsonOptions = { dialect: 'otlp' }): string {
  const w = new JsonWriter(options.dialect === 'tempo')
  return `{"${options.topLevelKey ?? 'resourceSpans'}":[${join(data.resourceSpans, (rs) => w.resourceSpans(rs))}]}`
}

/**
 * A KeyValue list as a JSON array (`[{"key":…,"value":{…}}, …]`) in the given dialect: what
 * Tempo's search answers carry as span and span-set attributes (query/search/render.ts).
 */
export function encodeAttributesJson (attrs: readonly KeyValue[], dialect: EncodeJsonOptions['dialect']): string {
  return `[${new JsonWriter(dialect === 'tempo').attributes(attrs)}]`
}

const SPAN_KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER']
const STATUS_CODE_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR']

function join<T> (items: readonly T[], fn: (item: T) => string): string {
  let out = ''
  for (let i = 0; i < items.length; i++) out += (i === 0 ? '' : ',') + fn(items[i]!)
  return out
}

/** Collects `"key":value` members, skipping zero values (gogo jsonpb without EmitDefaults); query/search/render.ts writes Tempo's search JSON with it too. */
export class JsonMembers {
  out = ''
  add (key: string, json: string): void {
    this.out += (this.out === '' ? '"' : ',"') + key + '":' + json
  }

  str (key: string, v: string): void {
    if (v !== '') this.add(key, JSON.stringify(v))
  }

  uint (key: string, v: number): void {
    if (v !== 0) this.add(key, String(v))
  }

  u64 (key: string, v: bigint): void {
    if (v !== 0n) this.add(key, `"${v}"`)
  }

  list (key: string, json: string): void {
    if (json !== '') this.add(key, `[${json}]`)
  }

  toString (): string {
    return `{${this.out}}`
  }
}

function double (v: number): string {
  return Number.isFinite(v) ? String(v) : `"${String(v)}"`
}

class JsonWriter {
  constructor (private readonly tempo: boolean) {}

  id (b: Buffer): string {
    return `"${b.toString(this.tempo ? 'base64' : 'hex')}"`
  }

  enumValue (v: number, names: readonly string[]): string {
    return this.tempo && names[v] !== undefined ? `"${names[v]}"` : String(v)
  }

  resourceSpans (rs: ResourceSpans): string {
    const m = new JsonMembers()
    if (rs.resource !== null) m.add('resource', this.resource(rs.resource))
    m.list('scopeSpans', join(rs.scopeSpans, (ss) => this.scopeSpans(ss)))
    m.str('schemaUrl', rs.schemaUrl)
    return m.toString()
  }

  resource (r: Resource): string {
    const m = new JsonMembers()
    m.list('attributes', this.attributes(r.attributes))
    m.uint('droppedAttributesCount', r.droppedAttributesCount)
    return m.toString()
  }

  scopeSpans (ss: ScopeSpans): string {
    const m = new JsonMembers()
    if (ss.scope !== null) m.add('scope', this.scope(ss.scope))
    m.list('spans', join(ss.spans, (s) => this.span(s)))
    m.str('schemaUrl', ss.schemaUrl)
    return m.toString()
  }

  scope (s: InstrumentationScope): string {
    const m = new JsonMembers()
    m.str('name', s.name)
    m.str('version', s.version)
    m.list('attributes', this.attributes(s.attributes))
    m.uint('droppedAttributesCount', s.droppedAttributesCount)
    return m.toString()
  }

  span (s: Span): string {
    const m = new JsonMembers()
    if (s.traceId.length > 0) m.add('traceId', this.id(s.traceId))
    if (s.spanId.length > 0) m.add('spanId', this.id(s.spanId))
    m.str('traceState', s.traceState)
    if (s.parentSpanId.length > 0) m.add('parentSpanId', this.id(s.parentSpanId))
    m.uint('flags', s.flags)
    m.str('name', s.name)
    if (s.kind !== 0) m.add('kind', this.enumValue(s.kind, SPAN_KIND_NAMES))
    m.u64('startTimeUnixNano', s.startTimeUnixNano)
    m.u64('endTimeUnixNano', s.endTimeUnixNano)
    m.list('attributes', this.attributes(s.attributes))
    m.uint('droppedAttributesCount', s.droppedAttributesCount)
    m.list('events', join(s.events, (e) => this.event(e)))
    m.uint('droppedEventsCount', s.droppedEventsCount)
    m.list('links', join(s.links, (l) => this.link(l)))
    m.uint('droppedLinksCount', s.droppedLinksCount)
    m.add('status', this.status(s.status))
    return m.toString()
  }

  status (s: Status): string {
    const m = new JsonMembers()
    m.str('message', s.message)
    if (s.code !== 0) m.add('code', this.enumValue(s.code, STATUS_CODE_NAMES))
    return m.toString()
  }

  event (e: SpanEvent): string {
    const m = new JsonMembers()
    m.u64('timeUnixNano', e.timeUnixNano)
    m.str('name', e.name)
    m.list('attributes', this.attributes(e.attributes))
    m.uint('droppedAttributesCount', e.droppedAttributesCount)
    return m.toString()
  }

  link (l: SpanLink): string {
    const m = new JsonMembers()
    if (l.traceId.length > 0) m.add('traceId', this.id(l.traceId))
    if (l.spanId.length > 0) m.add('spanId', this.id(l.spanId))
    m.str('traceState', l.traceState)
    m.list('attributes', this.attributes(l.attributes))
    m.uint('droppedAttributesCount', l.droppedAttributesCount)
    m.uint('flags', l.flags)
    return m.toString()
  }

  attributes (attrs: readonly KeyValue[]): string {
    return join(attrs, (kv) => this.keyValue(kv))
  }

  keyValue (kv: KeyValue): string {
    const m = new JsonMembers()
    m.str('key', kv.key)
    m.add('value', this.anyValue(kv.value))
    return m.toString()
  }

  anyValue (v: AnyValue): string {
    switch (v.kind) {
      case 'string': return `{"stringValue":${JSON.stringify(v.value)}}`
      case 'bool': return `{"boolValue":${v.value}}`
      case 'int': return `{"intValue":"${v.value}"}`
      case 'double': return `{"doubleValue":${double(v.value)}}`
      case 'bytes': return `{"bytesValue":"${v.value.toString('base64')}"}`
      case 'array': return v.value.length === 0 ? '{"arrayValue":{}}' : `{"arrayValue":{"values":[${join(v.value, (x) => this.anyValue(x))}]}}`
      case 'kvlist': return v.value.length === 0 ? '{"kvlistValue":{}}' : `{"kvlistValue":{"values":[${this.attributes(v.value)}]}}`
      case 'empty': return '{}'
    }
  }
}
