import { OtlpDecodeError } from './errors.ts'
import type {
  AnyValue, InstrumentationScope, KeyValue, Resource, ResourceSpans, ScopeSpans, Span, SpanEvent, SpanLink, Status, TracesData,
} from './model.ts'
import { EMPTY_BUFFER, MAX_DEPTH } from './proto-reader.ts'

/**
 * Decodes an OTLP/JSON `ExportTraceServiceRequest` into the model, per the OTLP spec's JSON
 * encoding (protobuf JSON mapping with hex ids): lowerCamelCase keys (the original snake_case
 * names are accepted too, as protobuf JSON parsers do), trace/span ids as hex (any case; '' =
 * absent), 64-bit integers as decimal strings or numbers, enums as numbers or names, bytes as
 * base64 (standard or URL-safe), `null` as the default value, unknown keys ignored. The
 * deprecated `instrumentationLibrarySpans` (with `instrumentationLibrary`) is read as scope spans.
 *
 * Errors carry the JSON path, e.g.
 * `resourceSpans[0].scopeSpans[0].spans[3].traceId: must be 32 hex characters, got 31`.
 * Paths are built only when something fails: array loops catch and prepend `[i]`, object fields
 * prepend their name.
 *
 * Limitation: a 64-bit integer written as a JSON *number* beyond 2^53 has already lost precision
 * in JSON.parse (Node 20 has no access to the source text); the spec says to write them as strings.
 */
export function decodeTracesJson (text: string | Uint8Array): TracesData {
  let doc: unknown
  try {
    doc = JSON.parse(typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8'))
  } catch (err) {
    throw new OtlpDecodeError(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (!isObject(doc)) throw new OtlpDecodeError(`request must be a JSON object, got ${typeName(doc)}`)
  const resourceSpans = list(field(doc, 'resourceSpans', 'resource_spans'), 'resourceSpans', decodeResourceSpans)
  return { resourceSpans }
}

type Json = Record<string, unknown>

function isObject (v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function typeName (v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`.slice(0, 60)
}

/** A field under its lowerCamelCase or original proto name. */
function field (o: Json, camel: string, snake: string): unknown {
  const v = o[camel]
  return v !== undefined ? v : o[snake]
}

function fail (path: string, reason: string): OtlpDecodeError {
  return new OtlpDecodeError(reason, -1, path)
}

function within (err: unknown, segment: string): unknown {
  return err instanceof OtlpDecodeError ? err.prependPath(segment) : err
}

/** A repeated field: absent/null = empty; each element decoded by `fn`, errors prefixed `name[i]`. */
function list<T> (v: unknown, name: string, fn: (o: unknown, depth: number) => T, depth = 0): T[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw fail(name, `must be an array, got ${typeName(v)}`)
  const out: T[] = new Array<T>(v.length)
  for (let i = 0; i < v.length; i++) {
    try {
      out[i] = fn(v[i], depth)
    } catch (err) {
      throw within(err, `${name}[${i}]`)
    }
  }
  return out
}

/** A nested message field; errors inside are prefixed with `name`. */
function nested<T> (v: unknown, name: string, fn: (o: Json, depth: number) => T, depth = 0): T {
  if (!isObject(v)) throw fail(name, `must be an object, got ${typeName(v)}`)
  try {
    return fn(v, depth)
  } catch (err) {
    throw within(err, name)
  }
}

function asObject (v: unknown): Json {
  if (!isObject(v)) throw fail('', `must be an object, got ${typeName(v)}`)
  return v
}

function str (v: unknown, name: string): string {
  if (typeof v === 'string') return v
  if (v === undefined || v === null) return ''
  throw fail(name, `must be a string, got ${typeName(v)}`)
}

const UINT_RE = /^\d{1,20}$/
const INT_RE = /^-?\d{1,20}$/

/** uint32 / fixed32: a JSON number or a decimal string. */
function uint32 (v: unknown, name: string): number {
  if (v === undefined || v === null) return 0
  const n = typeof v === 'string' && UINT_RE.test(v) ? Number(v) : v
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff) return n
  throw fail(name, `must be an unsigned 32-bit integer, got ${typeName(v)}`)
}

/** int32 enum: a number, or one of the value names. */
function enumValue (v: unknown, name: string, names: Readonly<Record<string, number>>): number {
  if (v === undefined || v === null) return 0
  if (typeof v === 'number' && Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff) return v
  if (typeof v === 'string') {
    const n = names[v]
    if (n !== undefined) return n
    throw fail(name, `unknown enum value ${JSON.stringify(v).slice(0, 60)} (expected one of ${Object.keys(names).join(', ')} or a number)`)
  }
  throw fail(name, `must be an enum name or number, got ${typeName(v)}`)
}

const MAX_U64 = (1n << 64n) - 1n
const MIN_I64 = -(1n << 63n)
const MAX_I64 = (1n << 63n) - 1n

/** fixed64 / uint64 (timestamps): a decimal string or an integral number. */
function uint64 (v: unknown, name: string): bigint {
  if (v === undefined || v === null) return 0n
  let n: bigint | undefined
  if (typeof v === 'string' && UINT_RE.test(v)) n = BigInt(v)
  else if (typeof v === 'number' && Number.isInteger(v) && v >= 0) n = BigInt(v)
  if (n === undefined || n > MAX_U64) throw fail(name, `must be an unsigned 64-bit integer (decimal string or number), got ${typeName(v)}`)
  return n
}

/** int64: a decimal string or an integral number. */
function int64 (v: unknown, name: string): bigint {
  let n: bigint | undefined
  if (typeof v === 'string' && INT_RE.test(v)) n = BigInt(v)
  else if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v)
  if (n === undefined || n < MIN_I64 || n > MAX_I64) throw fail(name, `must be a 64-bit integer (decimal string or number), got ${typeName(v)}`)
  return n
}

const FLOAT_RE = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

function double (v: unknown, name: string): number {
  if (typeof v === 'number') return v
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN
    if (v === 'Infinity') return Infinity
    if (v === '-Infinity') return -Infinity
    if (FLOAT_RE.test(v)) return Number(v)
  }
  throw fail(name, `must be a number or "NaN"/"Infinity"/"-Infinity", got ${typeName(v)}`)
}

function bool (v: unknown, name: string): boolean {
  if (typeof v === 'boolean') return v
  throw fail(name, `must be true or false, got ${typeName(v)}`)
}

const HEX_RE = /^[0-9a-fA-F]*$/

/** A trace/span id in hex; '' or absent = no id. */
function hexId (v: unknown, name: string, bytes: number): Buffer {
  if (v === undefined || v === null || v === '') return EMPTY_BUFFER
  if (typeof v !== 'string') throw fail(name, `must be a hex string, got ${typeName(v)}`)
  if (v.length !== bytes * 2) throw fail(name, `must be ${bytes * 2} hex characters, got ${v.length}`)
  if (!HEX_RE.test(v)) throw fail(name, `must be hex, got ${JSON.stringify(v)}`)
  return Buffer.from(v, 'hex')
}

const BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/

function base64 (v: unknown, name: string): Buffer {
  if (typeof v !== 'string' || !BASE64_RE.test(v) || v.length % 4 === 1) throw fail(name, `must be a base64 string, got ${typeName(v)}`)
  return Buffer.from(v, 'base64')
}

const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0, SPAN_KIND_INTERNAL: 1, SPAN_KIND_SERVER: 2, SPAN_KIND_CLIENT: 3, SPAN_KIND_PRODUCER: 4, SPAN_KIND_CONSUMER: 5,
}
const STATUS_CODES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 }

function decodeResourceSpans (v: unknown): ResourceSpans {
  const o = asObject(v)
  const r = o.resource
  const scopeSpans = list(field(o, 'scopeSpans', 'scope_spans'), 'scopeSpans', decodeScopeSpans)
  const ils = field(o, 'instrumentationLibrarySpans', 'instrumentation_library_spans')
  if (ils !== undefined && ils !== null) scopeSpans.push(...list(ils, 'instrumentationLibrarySpans', decodeScopeSpans))
  return {
    resource: r === undefined || r === null ? null : nested(r, 'resource', decodeResource),
    scopeSpans,
    schemaUrl: str(field(o, 'schemaUrl', 'schema_url'), 'schemaUrl'),
  }
}

function decodeResource (o: Json): Resource {
  return {
    attributes: list(o.attributes, 'attributes', decodeKeyValue),
    droppedAttributesCount: uint32(field(o, 'droppedAttributesCount', 'dropped_attributes_count'), 'droppedAttributesCount'),
  }
}

function decodeScopeSpans (v: unknown): ScopeSpans {
  const o = asObject(v)
  let scope: InstrumentationScope | null = null
  let s = o.scope
  let scopeName = 'scope'
  if (s === undefined || s === null) {
    s = field(o, 'instrumentationLibrary', 'instrumentation_library')
    scopeName = 'instrumentationLibrary'
  }
  if (s !== undefined && s !== null) scope = nested(s, scopeName, decodeScope)
  return {
    scope,
    spans: list(o.spans, 'spans', decodeSpan),
    schemaUrl: str(field(o, 'schemaUrl', 'schema_url'), 'schemaUrl'),
  }
}

function decodeScope (o: Json): InstrumentationScope {
  return {
    name: str(o.name, 'name'),
    version: str(o.version, 'version'),
    attributes: list(o.attributes, 'attributes', decodeKeyValue),
    droppedAttributesCount: uint32(field(o, 'droppedAttributesCount', 'dropped_attributes_count'), 'droppedAttributesCount'),
  }
}

function decodeSpan (v: unknown): Span {
  const o = asObject(v)
  const status = o.status
  return {
    traceId: hexId(field(o, 'traceId', 'trace_id'), 'traceId', 16),
    spanId: hexId(field(o, 'spanId', 'span_id'), 'spanId', 8),
    traceState: str(field(o, 'traceState', 'trace_state'), 'traceState'),
    parentSpanId: hexId(field(o, 'parentSpanId', 'parent_span_id'), 'parentSpanId', 8),
    flags: uint32(o.flags, 'flags'),
    name: str(o.name, 'name'),
    kind: enumValue(o.kind, 'kind', SPAN_KINDS),
    startTimeUnixNano: uint64(field(o, 'startTimeUnixNano', 'start_time_unix_nano'), 'startTimeUnixNano'),
    endTimeUnixNano: uint64(field(o, 'endTimeUnixNano', 'end_time_unix_nano'), 'endTimeUnixNano'),
    attributes: list(o.attributes, 'attributes', decodeKeyValue),
    droppedAttributesCount: uint32(field(o, 'droppedAttributesCount', 'dropped_attributes_count'), 'droppedAttributesCount'),
    events: list(o.events, 'events', decodeEvent),
    droppedEventsCount: uint32(field(o, 'droppedEventsCount', 'dropped_events_count'), 'droppedEventsCount'),
    links: list(o.links, 'links', decodeLink),
    droppedLinksCount: uint32(field(o, 'droppedLinksCount', 'dropped_links_count'), 'droppedLinksCount'),
    status: status === undefined || status === null ? { code: 0, message: '' } : nested(status, 'status', decodeStatus),
  }
}

function decodeStatus (o: Json): Status {
  return { code: enumValue(o.code, 'code', STATUS_CODES), message: str(o.message, 'message') }
}

function decodeEvent (v: unknown): SpanEvent {
  const o = asObject(v)
  return {
    timeUnixNano: uint64(field(o, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano'),
    name: str(o.name, 'name'),
    attributes: list(o.attributes, 'attributes', decodeKeyValue),
    droppedAttributesCount: uint32(field(o, 'droppedAttributesCount', 'dropped_attributes_count'), 'droppedAttributesCount'),
  }
}

function decodeLink (v: unknown): SpanLink {
  const o = asObject(v)
  return {
    traceId: hexId(field(o, 'traceId', 'trace_id'), 'traceId', 16),
    spanId: hexId(field(o, 'spanId', 'span_id'), 'spanId', 8),
    traceState: str(field(o, 'traceState', 'trace_state'), 'traceState'),
    attributes: list(o.attributes, 'attributes', decodeKeyValue),
    droppedAttributesCount: uint32(field(o, 'droppedAttributesCount', 'dropped_attributes_count'), 'droppedAttributesCount'),
    flags: uint32(o.flags, 'flags'),
  }
}

function decodeKeyValue (v: unknown, depth: number): KeyValue {
  const o = asObject(v)
  const value = o.value
  return {
    key: str(o.key, 'key'),
    value: value === undefined || value === null ? { kind: 'empty' } : nested(value, 'value', decodeAnyValue, depth),
  }
}

/** The AnyValue oneof: at most one member may be set (null counts as not set). */
function decodeAnyValue (o: Json, depth: number): AnyValue {
  let out: AnyValue = { kind: 'empty' }
  let set = ''
  for (const key in o) {
    const v = o[key]
    if (v === null || v === undefined) continue
    let next: AnyValue
    switch (key) {
      case 'stringValue': case 'string_value': next = { kind: 'string', value: str(v, 'stringValue') }; break
      case 'boolValue': case 'bool_value': next = { kind: 'bool', value: bool(v, 'boolValue') }; break
      case 'intValue': case 'int_value': next = { kind: 'int', value: int64(v, 'intValue') }; break
      case 'doubleValue': case 'double_value': next = { kind: 'double', value: double(v, 'doubleValue') }; break
      case 'bytesValue': case 'bytes_value': next = { kind: 'bytes', value: base64(v, 'bytesValue') }; break
      case 'arrayValue': case 'array_value':
        next = { kind: 'array', value: nested(v, 'arrayValue', decodeValues, depth + 1) }
        break
      case 'kvlistValue': case 'kvlist_value':
        next = { kind: 'kvlist', value: nested(v, 'kvlistValue', decodeKvList, depth + 1) }
        break
      default: continue // unknown key: ignored
    }
    if (set !== '') throw fail('', `only one value may be set, got ${set} and ${key}`)
    set = key
    out = next
  }
  return out
}

function decodeValues (o: Json, depth: number): AnyValue[] {
  if (depth > MAX_DEPTH) throw fail('', `values nested deeper than ${MAX_DEPTH}`)
  return list(o.values, 'values', decodeArrayItem, depth)
}

function decodeArrayItem (v: unknown, depth: number): AnyValue {
  return nested(v, '', decodeAnyValue, depth)
}

function decodeKvList (o: Json, depth: number): KeyValue[] {
  if (depth > MAX_DEPTH) throw fail('', `values nested deeper than ${MAX_DEPTH}`)
  return list(o.values, 'values', decodeKeyValue, depth)
}
