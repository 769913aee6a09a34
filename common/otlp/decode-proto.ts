import { OtlpDecodeError } from './errors.ts'
import type {
  AnyValue, InstrumentationScope, KeyValue, Resource, ResourceSpans, ScopeSpans, Span, SpanEvent, SpanLink, Status, TracesData,
} from './model.ts'
import { EMPTY_BUFFER, MAX_DEPTH, ProtoReader, WireType, wrongWireType } from './proto-reader.ts'

/**
 * Hand-written decoder of an OTLP `ExportTraceServiceRequest` (the same bytes as `TracesData`)
 * straight into the model, field numbers as in opentelemetry-proto. Compared with generated code
 * (protobufjs) it skips the intermediate objects and Long conversions and switches on whole tags
 * (field and wire type at once), so the common case is one compare per field.
 *
 * Semantics follow proto3: unknown fields are skipped, a repeated scalar field keeps the last
 * value, a known field with the wrong wire type is an error. A singular message field that occurs
 * twice replaces (protobuf would merge; no OTLP producer emits that). The deprecated
 * `instrumentation_library_spans` (field 1000, same layout) is read as scope spans.
 *
 * Errors: each message method catches on the way up and prepends its field to the error's path,
 * so the happy path pays nothing for "resource_spans[0].scope_spans[2].spans[5].trace_id".
 */
export function decodeTracesProto (bytes: Uint8Array): TracesData {
  return new TraceDecoder(bytes).tracesData()
}

/** One Span message's body (see encodeSpanMessage). Throws OtlpDecodeError like decodeTracesProto. */
export function decodeSpanMessage (bytes: Uint8Array): Span {
  return new TraceDecoder(bytes).span(bytes.length)
}

/** A `KeyValueList` message (see encodeKeyValueList). */
export function decodeKeyValueList (bytes: Uint8Array): KeyValue[] {
  return new TraceDecoder(bytes).kvList(bytes.length, 0)
}

// Expected wire type per known field number (-1 = unknown), to tell a known field with the wrong
// wire type (an error) from an unknown field (skipped). Names are for error paths.
const V = WireType.VARINT
const L = WireType.LEN
const F64 = WireType.I64
const F32 = WireType.I32
const TRACES_DATA = { wire: [-1, L], names: ['', 'resource_spans'] }
const RESOURCE_SPANS = { wire: [-1, L, L, L], names: ['', 'resource', 'scope_spans', 'schema_url'] }
const RESOURCE = { wire: [-1, L, V], names: ['', 'attributes', 'dropped_attributes_count'] }
const SCOPE_SPANS = { wire: [-1, L, L, L], names: ['', 'scope', 'spans', 'schema_url'] }
const SCOPE = { wire: [-1, L, L, L, V], names: ['', 'name', 'version', 'attributes', 'dropped_attributes_count'] }
const SPAN = {
  wire: [-1, L, L, L, L, L, V, F64, F64, L, V, L, V, L, V, L, F32],
  names: ['', 'trace_id', 'span_id', 'trace_state', 'parent_span_id', 'name', 'kind', 'start_time_unix_nano', 'end_time_unix_nano',
    'attributes', 'dropped_attributes_count', 'events', 'dropped_events_count', 'links', 'dropped_links_count', 'status', 'flags'],
}
const EVENT = { wire: [-1, F64, L, L, V], names: ['', 'time_unix_nano', 'name', 'attributes', 'dropped_attributes_count'] }
const LINK = {
  wire: [-1, L, L, L, L, V, F32],
  names: ['', 'trace_id', 'span_id', 'trace_state', 'attributes', 'dropped_attributes_count', 'flags'],
}
const STATUS = { wire: [-1, -1, L, V], names: ['', '', 'message', 'code'] }
const KEY_VALUE = { wire: [-1, L, L], names: ['', 'key', 'value'] }
const ANY_VALUE = {
  wire: [-1, L, V, V, F64, L, L, L],
  names: ['', 'string_value', 'bool_value', 'int_value', 'double_value', 'array_value', 'kvlist_value', 'bytes_value'],
}
const VALUES = { wire: [-1, L], names: ['', 'values'] }

type Fields = typeof SPAN

const ILS_TAG = (1000 << 3) | L

class TraceDecoder extends ProtoReader {
  tracesData (): TracesData {
    const end = this.buf.length
    const resourceSpans: ResourceSpans[] = []
    let tag = 0
    try {
      while (this.pos < end) {
        tag = 0
        tag = this.tag(end)
        if (tag === 10) resourceSpans.push(this.resourceSpans(this.len(end)))
        else this.other(tag, end, TRACES_DATA)
      }
    } catch (err) {
      throw at(err, TRACES_DATA, tag, tag === 10 ? resourceSpans.length : -1)
    }
    return { resourceSpans }
  }

  /** A field that is not in the switch: a known field with the wrong wire type, or skipped. */
  other (tag: number, end: number, fields: Fields): void {
    const expected = fields.wire[tag >>> 3]
    if (expected !== undefined && expected >= 0) throw wrongWireType(tag, expected, this.pos - (tag < 0x80 ? 1 : tag < 0x4000 ? 2 : 3))
    this.skip(tag, end)
  }

  resourceSpans (end: number): ResourceSpans {
    let resource: Resource | null = null
    const scopeSpans: ScopeSpans[] = []
    let schemaUrl = ''
    let tag = 0
    let ils = 0
    try {
      while (this.pos < end) {
        tag = 0
        tag = this.tag(end)
        switch (tag) {
          case 10: resource = this.resource(this.len(end)); break
          case 18: scopeSpans.push(this.scopeSpans(this.len(end))); break
          case 26: schemaUrl = this.string(end); break
          case ILS_TAG: scopeSpans.push(this.scopeSpans(this.len(end))); ils++; break
          default:
            if (tag >>> 3 === 1000) throw wrongWireType(tag, L, this.pos - 2) // 1000 << 3 takes two bytes
            this.other(tag, end, RESOURCE_SPANS)
        }
      }
    } catch (err) {
      if (tag >>> 3 === 1000 && err instanceof OtlpDecodeError) throw err.prependPath(`instrumentation_library_spans[${ils}]`)
      throw at(err, RESOURCE_SPANS, tag, tag === 18 ? scopeSpans.length - ils : -1)
    }
    return { resource, scopeSpans, schemaUrl }
  }

  resource (end: number): Resource {
    const attributes: KeyValue[] = []
    let droppedAttributesCount = 0
    let tag = 0
    try {
      while (this.pos < end) {
        tag = 0
        tag = this.tag(end)
        if (tag === 10) attributes.push(this.keyValue(this.len(end), 0))
        else if (tag === 16) droppedAttributesCount = this.uint32(end)
        else this.other(tag, end, RESOURCE)
      }
    } catch (err) {
      throw at(err, RESOURCE, tag, tag === 10 ? attributes.length : -1)
    }
    return { attributes, droppedAttributesCount }
  }

  scopeSpans (end: number): ScopeSpans {
    let scope: InstrumentationScope | null = null
    const spans: Span[] = []
    let schemaUrl = ''
    let tag = 0
    try {
      while (this.pos < end) {
        tag = 0
        tag = this.tag(end)
        switch (tag) {
          case 10: scope = this.scope(this.len(end)); break
          case 18: spans.push(this.span(this.len(end))); break
          case 26: schemaUrl = this.string(end); break
          default: this.other(tag, end, SCOPE_SPANS)
        }
      }
    } catch (err) {
      throw at(err, SCOPE_SPANS, tag, tag === 18 ? spans.length : -1)
    }
    return { scope, spans, schemaUrl }
  }

  scope (end: number): InstrumentationScope {
    let name = ''
    let version = ''
    const attributes: KeyValue[] = []
    let droppedAttributesCount = 0
    let tag = 0
    try {
      while (this.pos < end) {
        tag = 0
        tag = this.tag(end)
        switch (tag) {
          case 10: name = this.string(end); break
          case 18: version = this.string(end); break
          case 26: attributes.push(this.keyValue(this.len(end), 0)); break
          case 32: droppedAttributesCount = this.uint32(end); break
          default: this.other(tag, end, SCOPE)
        }
      }
    } catch (err) {
      throw at(err, SCOPE, tag, tag === 26 ? attributes.length : -1)
    }
    return { name, version, attributes, droppedAttributesCount }
  }

  span (end: number): Span {
    let traceId = EMPTY_BUFFER
    let spanId = EMPTY_BUFFER
    let traceState = ''
    let parentSpanId = EMPTY_BUFFER
    let flags = 0
    let name = ''
    let kind = 0
    let startTimeUnixNano = 0n
    let endTimeUnixNano = 0n
    const attributes: KeyValue[] = []
    let droppedAttributesCount = 0
    const events: SpanEvent[] = []
    let droppedEventsCount = 0
    const links: SpanLink[] = []
    let droppedLinksCount = 0
    let status: Status | null = null
    let tag = 0
    try {
      while (this.pos < end) {
        tag = 0
        tag = this.tag(end)
        switch (tag) {
          case 10: traceId = this.bytes(end); break
          case 18: spanId = this.bytes(end); break
          case 26: traceState = this.string(end); break
          case 34: parentSpanId = this.bytes(end); break
          case 42: name = this.string(end); break
          case 48: kind = this.int32(end); break
          case 57: startTimeUnixNano = this.fixed64(end); break
          case 65: endTimeUnixNano = this.fixed64(end); break
          case 74: attributes.push(this.keyValue(this.len(end), 0)); break
          case 80: droppedAttributesCount = this.uint32(end); break
          case 90: events.push(this.event(this.len(end))); break
          case 96: droppedEventsCount = this.uint32(end); break
          case 106: links.push(this.link(this.len(end))); break
          case 112: droppedLinksCount = this.uint32(end); break
          case 122: status = this.status(this.len(end)); break
          case 133: flags = this.fixed32(end); break
          default: this.other(tag, end, SPAN)
        }
      }
    } catch (err) {
      throw at(err, SPAN, tag, tag === 74 ? attributes.length : tag === 90 ? events.length : tag === 106 ? links.length : -1)
    }
    return {
      traceId,
      spanId,
      traceState,
      parentSpanId,
      flags,
      name,
      kind,
      startTimeUnixNano,
      endTimeUnixNano,
      attributes,
      droppedAttributesCount,
      events,
      droppedEventsCount,
      links,
      droppedLinksCount,
      status: status ?? { code: 0, message: '' },
    }
  }

  event (end: number): SpanEvent {
    let timeUnixNano = 0n
    let name = ''
    const attributes: KeyValue[] = []
    let droppedAttributesCount = 0
    let tag = 0
    try {
      while (this.pos < end) {
        tag = 0
        tag = this.tag(end)
        switch (tag) {
          case 9: timeUnixNano = this.fixed64(end); break
          case 18: name = this.string(end); break
          case 26: attributes.push(this.keyValue(this.len(end), 0)); break
          case 32: droppedAttributesCount = this.uint32(end); break
          default: this.other(tag, end, EVENT)
        }
      }
    } catch (err) {
      throw at(err, EVENT, tag, tag === 26 ? attributes.length : -1)
    }
    return { timeUnixNano, name, attributes, droppedAttributesCount }
  }

  link (end: number): SpanLink {
    let traceId = EMPTY_BUFFER
    let spanId = EMPTY_BUFFER
    let traceState = ''
    const attributes: KeyValue[] = []
    let droppedAttributesCount = 0
    let flags = 0
    let tag = 0
    try {
      while (this.pos < end) {
        tag = 0
        tag = this.tag(end)
        switch (tag) {
          case 10: traceId = this.bytes(end); break
          case 18: spanId = this.bytes(end); break
          case 26: traceState = this.string(end); break
          case 34: attributes.push(this.keyValue(this.len(end), 0)); break
          case 40: droppedAttributesCount = this.uint32(end); break
          case 53: flags = this.fixed32(end); break
          default: this.other(tag, end, LINK)
        }
      }
    } catch (err) {
      throw at(err, LINK, tag, tag === 34 ? attributes.length : -1)
    }
    return { traceId, spanId, traceState, attributes, droppedAttributesCount, flags }
  }

  status (end: number): Status {
    let code = 0
    let message = ''
    let tag = 0
    try {
      while (this.pos < end) {
        tag = 0
        tag = this.tag(end)
        if (tag === 24) code = this.int32(end)
        else if (tag === 18) message = this.string(end)
        else this.other(tag, end, STATUS)
      }
    } catch (err) {
      throw at(err, STATUS, tag, -1)
    }
    return { code, message }
  }

  keyValue (end: number, depth: number): KeyValue {
    let key = ''
    let value: AnyValue | null = null
    let tag = 0
    try {
      while (this.pos < end) {
        tag = 0
        tag = this.tag(end)
        if (tag === 10) key = this.string(end)
        else if (tag === 18) value = this.anyValue(this.len(end), depth)
        else this.other(tag, end, KEY_VALUE)
      }
    } catch (err) {
      throw at(err, KEY_VALUE, tag, -1)
    }
    return { key, value: value ?? { kind: 'empty' } }
  }

  anyValue (end: number, depth: number): AnyValue {
    // A oneof: the last member on the wire wins; no member at all is the 'empty' value.
    let value: AnyValue = EMPTY_VALUE
    let tag = 0
    try {
      while (this.pos < end) {
        tag = 0
        tag = this.tag(end)
        switch (tag) {
          case 10: value = { kind: 'string', value: this.string(end) }; break
          case 16: value = { kind: 'bool', value: this.bool(end) }; break
          case 24: value = { kind: 'int', value: this.int64(end) }; break
          case 33: value = { kind: 'double', value: this.double(end) }; break
          case 42: value = { kind: 'array', value: this.arrayValue(this.len(end), depth + 1) }; break
          case 50: value = { kind: 'kvlist', value: this.kvList(this.len(end), depth + 1) }; break
          case 58: value = { kind: 'bytes', value: this.bytes(end) }; break
          default: this.other(tag, end, ANY_VALUE)
        }
      }
    } catch (err) {
      throw at(err, ANY_VALUE, tag, -1)
    }
    return value === EMPTY_VALUE ? { kind: 'empty' } : value
  }

  arrayValue (end: number, depth: number): AnyValue[] {
    if (depth > MAX_DEPTH) throw this.fail(`values nested deeper than ${MAX_DEPTH}`)
    const values: AnyValue[] = []
    let tag = 0
    try {
      while (this.pos < end) {
        tag = 0
        tag = this.tag(end)
        if (tag === 10) values.push(this.anyValue(this.len(end), depth))
        else this.other(tag, end, VALUES)
      }
    } catch (err) {
      throw at(err, VALUES, tag, tag === 10 ? values.length : -1)
    }
    return values
  }

  kvList (end: number, depth: number): KeyValue[] {
    if (depth > MAX_DEPTH) throw this.fail(`values nested deeper than ${MAX_DEPTH}`)
    const values: KeyValue[] = []
    let tag = 0
    try {
      while (this.pos < end) {
        tag = 0
        tag = this.tag(end)
        if (tag === 10) values.push(this.keyValue(this.len(end), depth))
        else this.other(tag, end, VALUES)
      }
    } catch (err) {
      throw at(err, VALUES, tag, tag === 10 ? values.length : -1)
    }
    return values
  }
}

const EMPTY_VALUE: AnyValue = { kind: 'empty' }

/** Prepends the field being read when `err` happened (tag 0: between fields, nothing to add). */
function at (err: unknown, fields: Fields, tag: number, index: number): unknown {
  if (!(err instanceof OtlpDecodeError) || tag === 0) return err
  const field = tag >>> 3
  const name = fields.names[field] ?? `#${field}`
  // `index` >= 0 only while appending to a repeated field: show which element failed.
  return err.prependPath(index >= 0 ? `${name}[${index}]` : name)
}
