import type {
  AnyValue, InstrumentationScope, KeyValue, Resource, ResourceSpans, ScopeSpans, Span, SpanEvent, SpanLink, Status, TracesData,
} from './model.ts'
import { ProtoWriter, int32Size, int64Size, lenSize, utf8Length, varintSize } from './proto-writer.ts'

/**
 * Encodes TracesData (= ExportTraceServiceRequest) to protobuf: what ingest writes to Kafka and
 * what the query API answers to `Accept: application/protobuf`.
 *
 * Canonical proto3 output, like Go's proto.Marshal and the collector: fields in field-number
 * order, proto3 default values (0, '', empty bytes, a default Status) omitted, AnyValue's oneof
 * member always written (even '' or 0, since it is set), a present Resource/scope written even
 * when empty, a KeyValue's value always written. (The official JS serializer also writes the
 * zero values it was handed; decoding either gives the same model.)
 *
 * Two passes: sizes first, recorded in pre-order in `sizes`, then one exact allocation and a
 * front-to-back write that consumes the sizes in the same order. Both passes must make the same
 * presence decisions; the `has*` helpers below are shared for that reason.
 */
export function encodeTracesProto (data: TracesData): Buffer {
  const sizes: number[] = []
  let total = 0
  for (const rs of data.resourceSpans) total += 1 + lenSize(sizeResourceSpans(rs, sizes))
  const w = new Encoder(total, sizes)
  for (const rs of data.resourceSpans) {
    w.varint(10)
    w.resourceSpans(rs)
  }
  return w.finish()
}

/**
 * Exact size in bytes of one Span message as encodeTracesProto writes it (the message body, without
 * the tag and length prefix of the enclosing field). Allocates nothing.
 */
export function protoSizeOfSpan (span: Span): number {
  return sizeSpan(span, null)
}

/**
 * One Span message's bytes (its body, no tag or length): e.g. a span holding only events or links,
 * which is how the WAL block format stores them (wal/format/values.ts).
 */
export function encodeSpanMessage (span: Span): Buffer {
  const sizes: number[] = []
  const body = sizeSpan(span, sizes)
  const w = new Encoder(lenSize(body), sizes) // lenSize = length prefix + body
  w.span(span)
  // Encoder.span writes the message's own length first; the caller wants the bare body.
  return w.finish().subarray(varintSize(body))
}

/** A `KeyValueList` message (field 1: repeated KeyValue), the WAL's attribute columns. */
export function encodeKeyValueList (kvs: KeyValue[]): Buffer {
  const sizes: number[] = []
  const w = new Encoder(sizeAttributes(kvs, sizes, 1), sizes)
  w.attributes(10, kvs)
  return w.finish()
}

/** Exact size of the whole encoded TracesData (what encodeTracesProto would return). Allocates nothing. */
export function protoSizeOfTracesData (data: TracesData): number {
  let total = 0
  for (const rs of data.resourceSpans) total += 1 + lenSize(sizeResourceSpans(rs, null))
  return total
}

function hasStatus (s: Status): boolean {
  return s.code !== 0 || s.message !== ''
}

/** Size of a string field (tag + length + bytes), 0 when it is '' (omitted). Tags here are 1 byte. */
function strField (s: string): number {
  return s === '' ? 0 : 1 + lenSize(utf8Length(s))
}

function bytesField (b: Uint8Array): number {
  return b.length === 0 ? 0 : 1 + lenSize(b.length)
}

function uintField (n: number): number {
  return n === 0 ? 0 : 1 + varintSize(n >>> 0)
}

// Size functions: return the message body size; when `sizes` is given, also record it (and every
// nested message's) in pre-order: reserve this message's slot, size the children, fill the slot.

function sizeResourceSpans (rs: ResourceSpans, sizes: number[] | null): number {
  const slot = sizes === null ? -1 : sizes.push(0) - 1
  let n = 0
  if (rs.resource !== null) n += 1 + lenSize(sizeResource(rs.resource, sizes))
  for (const ss of rs.scopeSpans) n += 1 + lenSize(sizeScopeSpans(ss, sizes))
  n += strField(rs.schemaUrl)
  if (slot >= 0) sizes![slot] = n
  return n
}

function sizeResource (r: Resource, sizes: number[] | null): number {
  const slot = sizes === null ? -1 : sizes.push(0) - 1
  const n = sizeAttributes(r.attributes, sizes, 1) + uintField(r.droppedAttributesCount)
  if (slot >= 0) sizes![slot] = n
  return n
}

function sizeScopeSpans (ss: ScopeSpans, sizes: number[] | null): number {
  const slot = sizes === null ? -1 : sizes.push(0) - 1
  let n = 0
  if (ss.scope !== null) n += 1 + lenSize(sizeScope(ss.scope, sizes))
  for (const span of ss.spans) n += 1 + lenSize(sizeSpan(span, sizes))
  n += strField(ss.schemaUrl)
  if (slot >= 0) sizes![slot] = n
  return n
}

function sizeScope (s: InstrumentationScope, sizes: number[] | null): number {
  const slot = sizes === null ? -1 : sizes.push(0) - 1
  const n = strField(s.name) + strField(s.version) + sizeAttributes(s.attributes, sizes, 1) + uintField(s.droppedAttributesCount)
  if (slot >= 0) sizes![slot] = n
  return n
}

function sizeSpan (s: Span, sizes: number[] | null): number {
  const slot = sizes === null ? -1 : sizes.push(0) - 1
  let n = bytesField(s.traceId) + bytesField(s.spanId) + strField(s.traceState) + bytesField(s.parentSpanId) + strField(s.name)
  if (s.kind !== 0) n += 1 + int32Size(s.kind)
  if (s.startTimeUnixNano !== 0n) n += 9
  if (s.endTimeUnixNano !== 0n) n += 9
  n += sizeAttributes(s.attributes, sizes, 1)
  n += uintField(s.droppedAttributesCount)
  for (const e of s.events) n += 1 + lenSize(sizeEvent(e, sizes))
  n += uintField(s.droppedEventsCount)
  for (const l of s.links) n += 1 + lenSize(sizeLink(l, sizes))
  n += uintField(s.droppedLinksCount)
  if (hasStatus(s.status)) n += 1 + lenSize(sizeStatus(s.status, sizes))
  if (s.flags !== 0) n += 2 + 4 // field 16: a two-byte tag
  if (slot >= 0) sizes![slot] = n
  return n
}

function sizeEvent (e: SpanEvent, sizes: number[] | null): number {
  const slot = sizes === null ? -1 : sizes.push(0) - 1
  let n = e.timeUnixNano !== 0n ? 9 : 0
  n += strField(e.name) + sizeAttributes(e.attributes, sizes, 1) + uintField(e.droppedAttributesCount)
  if (slot >= 0) sizes![slot] = n
  return n
}

function sizeLink (l: SpanLink, sizes: number[] | null): number {
  const slot = sizes === null ? -1 : sizes.push(0) - 1
  let n = bytesField(l.traceId) + bytesField(l.spanId) + strField(l.traceState)
  n += sizeAttributes(l.attributes, sizes, 1) + uintField(l.droppedAttributesCount)
  if (l.flags !== 0) n += 5
  if (slot >= 0) sizes![slot] = n
  return n
}

function sizeStatus (s: Status, sizes: number[] | null): number {
  const slot = sizes === null ? -1 : sizes.push(0) - 1
  let n = strField(s.message)
  if (s.code !== 0) n += 1 + int32Size(s.code)
  if (slot >= 0) sizes![slot] = n
  return n
}

/** Size of repeated KeyValue fields (all attribute fields have 1-byte tags). */
function sizeAttributes (attrs: KeyValue[], sizes: number[] | null, tagBytes: number): number {
  let n = 0
  for (let i = 0; i < attrs.length; i++) n += tagBytes + lenSize(sizeKeyValue(attrs[i]!, sizes))
  return n
}

function sizeKeyValue (kv: KeyValue, sizes: number[] | null): number {
  const slot = sizes === null ? -1 : sizes.push(0) - 1
  const n = strField(kv.key) + 1 + lenSize(sizeAnyValue(kv.value, sizes))
  if (slot >= 0) sizes![slot] = n
  return n
}

function sizeAnyValue (v: AnyValue, sizes: number[] | null): number {
  switch (v.kind) {
    // Scalars have no nested message, so no slot: the writer recomputes them.
    case 'string': return 1 + lenSize(utf8Length(v.value))
    case 'bool': return 2
    case 'int': return 1 + int64Size(v.value)
    case 'double': return 9
    case 'bytes': return 1 + lenSize(v.value.length)
    case 'empty': return 0
    case 'array': {
      const slot = sizes === null ? -1 : sizes.push(0) - 1
      let n = 0
      for (const item of v.value) n += 1 + lenSize(sizeAnyValue(item, sizes))
      if (slot >= 0) sizes![slot] = n
      return 1 + lenSize(n)
    }
    case 'kvlist': {
      const slot = sizes === null ? -1 : sizes.push(0) - 1
      const n = sizeAttributes(v.value, sizes, 1)
      if (slot >= 0) sizes![slot] = n
      return 1 + lenSize(n)
    }
  }
}

/** The write pass: each message method writes its length (next recorded size) and its fields. */
class Encoder extends ProtoWriter {
  private next = 0

  constructor (size: number, private readonly sizes: number[]) {
    super(size)
  }

  private len (): void {
    this.varint(this.sizes[this.next++]!)
  }

  private str (tag: number, s: string): void {
    if (s === '') return
    this.varint(tag)
    this.string(s, utf8Length(s))
  }

  private bin (tag: number, b: Uint8Array): void {
    if (b.length === 0) return
    this.varint(tag)
    this.bytes(b)
  }

  private uint (tag: number, n: number): void {
    if (n === 0) return
    this.varint(tag)
    this.varint(n >>> 0)
  }

  resourceSpans (rs: ResourceSpans): void {
    this.len()
    if (rs.resource !== null) {
      this.varint(10)
      this.resource(rs.resource)
    }
    for (const ss of rs.scopeSpans) {
      this.varint(18)
      this.scopeSpans(ss)
    }
    this.str(26, rs.schemaUrl)
  }

  resource (r: Resource): void {
    this.len()
    this.attributes(10, r.attributes)
    this.uint(16, r.droppedAttributesCount)
  }

  scopeSpans (ss: ScopeSpans): void {
    this.len()
    if (ss.scope !== null) {
      this.varint(10)
      this.scope(ss.scope)
    }
    for (const span of ss.spans) {
      this.varint(18)
      this.span(span)
    }
    this.str(26, ss.schemaUrl)
  }

  scope (s: InstrumentationScope): void {
    this.len()
    this.str(10, s.name)
    this.str(18, s.version)
    this.attributes(26, s.attributes)
    this.uint(32, s.droppedAttributesCount)
  }

  span (s: Span): void {
    this.len()
    this.bin(10, s.traceId)
    this.bin(18, s.spanId)
    this.str(26, s.traceState)
    this.bin(34, s.parentSpanId)
    this.str(42, s.name)
    if (s.kind !== 0) {
      this.varint(48)
      this.int32(s.kind)
    }
    if (s.startTimeUnixNano !== 0n) {
      this.varint(57)
      this.fixed64(s.startTimeUnixNano)
    }
    if (s.endTimeUnixNano !== 0n) {
      this.varint(65)
      this.fixed64(s.endTimeUnixNano)
    }
    this.attributes(74, s.attributes)
    this.uint(80, s.droppedAttributesCount)
    for (const e of s.events) {
      this.varint(90)
      this.event(e)
    }
    this.uint(96, s.droppedEventsCount)
    for (const l of s.links) {
      this.varint(106)
      this.link(l)
    }
    this.uint(112, s.droppedLinksCount)
    if (hasStatus(s.status)) {
      this.varint(122)
      this.len()
      this.str(18, s.status.message)
      if (s.status.code !== 0) {
        this.varint(24)
        this.int32(s.status.code)
      }
    }
    if (s.flags !== 0) {
      this.varint(133)
      this.fixed32(s.flags)
    }
  }

  event (e: SpanEvent): void {
    this.len()
    if (e.timeUnixNano !== 0n) {
      this.varint(9)
      this.fixed64(e.timeUnixNano)
    }
    this.str(18, e.name)
    this.attributes(26, e.attributes)
    this.uint(32, e.droppedAttributesCount)
  }

  link (l: SpanLink): void {
    this.len()
    this.bin(10, l.traceId)
    this.bin(18, l.spanId)
    this.str(26, l.traceState)
    this.attributes(34, l.attributes)
    this.uint(40, l.droppedAttributesCount)
    if (l.flags !== 0) {
      this.varint(53)
      this.fixed32(l.flags)
    }
  }

  attributes (tag: number, attrs: KeyValue[]): void {
    for (let i = 0; i < attrs.length; i++) {
      this.varint(tag)
      this.keyValue(attrs[i]!)
    }
  }

  keyValue (kv: KeyValue): void {
    this.len()
    this.str(10, kv.key)
    this.varint(18)
    this.anyValue(kv.value)
  }

  /** Writes an AnyValue's length prefix and body (a scalar's size is recomputed, not recorded). */
  anyValue (v: AnyValue): void {
    switch (v.kind) {
      case 'string': {
        const n = utf8Length(v.value)
        this.varint(1 + lenSize(n))
        this.varint(10)
        this.string(v.value, n)
        return
      }
      case 'bool':
        this.varint(2)
        this.varint(16)
        this.varint(v.value ? 1 : 0)
        return
      case 'int':
        this.varint(1 + int64Size(v.value))
        this.varint(24)
        this.int64(v.value)
        return
      case 'double':
        this.varint(9)
        this.varint(33)
        this.double(v.value)
        return
      case 'bytes':
        this.varint(1 + lenSize(v.value.length))
        this.varint(58)
        this.bytes(v.value)
        return
      case 'empty':
        this.varint(0)
        return
      case 'array': {
        const n = this.sizes[this.next++]!
        this.varint(1 + lenSize(n))
        this.varint(42)
        this.varint(n)
        for (const item of v.value) {
          this.varint(10)
          this.anyValue(item)
        }
        return
      }
      case 'kvlist': {
        const n = this.sizes[this.next++]!
        this.varint(1 + lenSize(n))
        this.varint(50)
        this.varint(n)
        this.attributes(10, v.value)
      }
    }
  }
}
