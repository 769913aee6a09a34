import type { AnyValue, KeyValue, SpanEvent, SpanLink } from '../../common/otlp/model.ts'
import { ProtoReader } from '../../common/otlp/proto-reader.ts'
import { ProtoWriter, int64Size, lenSize, utf8Length, varintSize } from '../../common/otlp/proto-writer.ts'

/**
 * The serialized columns of block format v1 (attributes, events, links, resource and scope
 * attributes) hold standard OTLP protobuf bytes, so any protobuf tool can read them:
 *
 *   attributes columns  `opentelemetry.proto.common.v1.KeyValueList` (field 1: repeated KeyValue)
 *   events column       `opentelemetry.proto.trace.v1.Span` with only field 11 (repeated Event)
 *   links column        `opentelemetry.proto.trace.v1.Span` with only field 13 (repeated Link)
 *
 * The oneof member of every AnyValue is always written (even '', false, 0), so a string '' and
 * an empty AnyValue stay distinct; int64 is a varint (exact), double its 8 IEEE bytes (exact,
 * -0 included). An empty list is a zero-length value.
 *
 * Sizes are computed first (pre-order, one slot per nested message), then the bytes are written
 * into an exactly sized buffer, as common/otlp/encode-proto.ts does.
 */
const EMPTY = Buffer.alloc(0)

// Tags: field number << 3 | wire type.
const T_KV_KEY = 0x0a
const T_KV_VALUE = 0x12
const T_STRING = 0x0a
const T_BOOL = 0x10
const T_INT = 0x18
const T_DOUBLE = 0x21
const T_ARRAY = 0x2a
const T_KVLIST = 0x32
const T_BYTES = 0x3a
const T_LIST_VALUES = 0x0a
const T_SPAN_EVENTS = 0x5a
const T_SPAN_LINKS = 0x6a
const T_EVENT_TIME = 0x09
const T_EVENT_NAME = 0x12
const T_EVENT_ATTRS = 0x1a
const T_EVENT_DROPPED = 0x20
const T_LINK_TRACE_ID = 0x0a
const T_LINK_SPAN_ID = 0x12
const T_LINK_STATE = 0x1a
const T_LINK_ATTRS = 0x22
const T_LINK_DROPPED = 0x28
const T_LINK_FLAGS = 0x35

// --- sizes ------------------------------------------------------------------------------------

function sizeValue (v: AnyValue, sizes: number[]): number {
  switch (v.kind) {
    case 'string': return 1 + lenSize(utf8Length(v.value))
    case 'bool': return 2
    case 'int': return 1 + int64Size(v.value)
    case 'double': return 9
    case 'bytes': return 1 + lenSize(v.value.length)
    case 'array': {
      const slot = sizes.push(0) - 1
      let n = 0
      for (const x of v.value) n += 1 + lenSize(sizeValueMessage(x, sizes))
      sizes[slot] = n
      return 1 + lenSize(n)
    }
    case 'kvlist': {
      const slot = sizes.push(0) - 1
      const n = sizeKeyValues(v.value, sizes)
      sizes[slot] = n
      return 1 + lenSize(n)
    }
    case 'empty': return 0
  }
}

/** An AnyValue message's own size, remembered for the write pass. */
function sizeValueMessage (v: AnyValue, sizes: number[]): number {
  const slot = sizes.push(0) - 1
  const n = sizeValue(v, sizes)
  sizes[slot] = n
  return n
}

function sizeKeyValues (kvs: readonly KeyValue[], sizes: number[]): number {
  let n = 0
  for (const kv of kvs) {
    const slot = sizes.push(0) - 1
    const m = 1 + lenSize(utf8Length(kv.key)) + 1 + lenSize(sizeValueMessage(kv.value, sizes))
    sizes[slot] = m
    n += 1 + lenSize(m)
  }
  return n
}

// --- writing ----------------------------------------------------------------------------------

class Writer extends ProtoWriter {
  private cursor = 0
  constructor (size: number, private readonly sizes: number[]) { super(size) }

  next (): number { return this.sizes[this.cursor++]! }

  str (s: string): void { this.string(s, utf8Length(s)) }

  value (v: AnyValue): void {
    switch (v.kind) {
      case 'string': this.varint(T_STRING); this.str(v.value); return
      case 'bool': this.varint(T_BOOL); this.varint(v.value ? 1 : 0); return
      case 'int': this.varint(T_INT); this.int64(v.value); return
      case 'double': this.varint(T_DOUBLE); this.double(v.value); return
      case 'bytes': this.varint(T_BYTES); this.bytes(v.value); return
      case 'array':
        this.varint(T_ARRAY); this.varint(this.next())
        for (const x of v.value) { this.varint(T_LIST_VALUES); this.varint(this.next()); this.value(x) }
        return
      case 'kvlist': this.varint(T_KVLIST); this.varint(this.next()); this.keyValues(v.value, T_LIST_VALUES); return
      case 'empty': return
    }
  }

  keyValues (kvs: readonly KeyValue[], tag: number): void {
    for (const kv of kvs) {
      this.varint(tag); this.varint(this.next())
      this.varint(T_KV_KEY); this.str(kv.key)
      this.varint(T_KV_VALUE); this.varint(this.next()); this.value(kv.value)
    }
  }
}

/** KeyValueList bytes of `kvs` (zero-length for none). */
export function encodeKeyValueList (kvs: readonly KeyValue[]): Buffer {
  if (kvs.length === 0) return EMPTY
  const sizes: number[] = []
  const w = new Writer(sizeKeyValues(kvs, sizes), sizes)
  w.keyValues(kvs, T_LIST_VALUES)
  return w.finish()
}

/** Span (events only) bytes. */
export function encodeEvents (events: readonly SpanEvent[]): Buffer {
  if (events.length === 0) return EMPTY
  const sizes: number[] = []
  let total = 0
  for (const e of events) {
    const slot = sizes.push(0) - 1
    const attrs = sizeKeyValues(e.attributes, sizes)
    const n = 9 + 1 + lenSize(utf8Length(e.name)) + attrs + (e.droppedAttributesCount === 0 ? 0 : 1 + varintSize(e.droppedAttributesCount))
    sizes[slot] = n
    total += 1 + lenSize(n)
  }
  const w = new Writer(total, sizes)
  for (const e of events) {
    w.varint(T_SPAN_EVENTS); w.varint(w.next())
    w.varint(T_EVENT_TIME); w.fixed64(e.timeUnixNano)
    w.varint(T_EVENT_NAME); w.str(e.name)
    w.keyValues(e.attributes, T_EVENT_ATTRS)
    if (e.droppedAttributesCount !== 0) { w.varint(T_EVENT_DROPPED); w.varint(e.droppedAttributesCount) }
  }
  return w.finish()
}

/** Span (links only) bytes. */
export function encodeLinks (links: readonly SpanLink[]): Buffer {
  if (links.length === 0) return EMPTY
  const sizes: number[] = []
  let total = 0
  for (const l of links) {
    const slot = sizes.push(0) - 1
    const attrs = sizeKeyValues(l.attributes, sizes)
    const n = 1 + lenSize(l.traceId.length) + 1 + lenSize(l.spanId.length) + 1 + lenSize(utf8Length(l.traceState)) +
      attrs + (l.droppedAttributesCount === 0 ? 0 : 1 + varintSize(l.droppedAttributesCount)) + 5
    sizes[slot] = n
    total += 1 + lenSize(n)
  }
  const w = new Writer(total, sizes)
  for (const l of links) {
    w.varint(T_SPAN_LINKS); w.varint(w.next())
    w.varint(T_LINK_TRACE_ID); w.bytes(l.traceId)
    w.varint(T_LINK_SPAN_ID); w.bytes(l.spanId)
    w.varint(T_LINK_STATE); w.str(l.traceState)
    w.keyValues(l.attributes, T_LINK_ATTRS)
    if (l.droppedAttributesCount !== 0) { w.varint(T_LINK_DROPPED); w.varint(l.droppedAttributesCount) }
    w.varint(T_LINK_FLAGS); w.fixed32(l.flags)
  }
  return w.finish()
}

// --- reading ----------------------------------------------------------------------------------

class Reader extends ProtoReader {
  keyValue (end: number): KeyValue {
    let key = ''
    let value: AnyValue = { kind: 'empty' }
    while (this.pos < end) {
      const tag = this.tag(end)
      if (tag === T_KV_KEY) key = this.string(end)
      else if (tag === T_KV_VALUE) value = this.value(this.len(end))
      else this.skip(tag, end)
    }
    return { key, value }
  }

  value (end: number): AnyValue {
    let v: AnyValue = { kind: 'empty' }
    while (this.pos < end) {
      const tag = this.tag(end)
      switch (tag) {
        case T_STRING: v = { kind: 'string', value: this.string(end) }; break
        case T_BOOL: v = { kind: 'bool', value: this.bool(end) }; break
        case T_INT: v = { kind: 'int', value: this.int64(end) }; break
        case T_DOUBLE: v = { kind: 'double', value: this.double(end) }; break
        case T_BYTES: v = { kind: 'bytes', value: this.bytes(end) }; break
        case T_ARRAY: v = { kind: 'array', value: this.list(this.len(end), (e) => this.value(e)) }; break
        case T_KVLIST: v = { kind: 'kvlist', value: this.list(this.len(end), (e) => this.keyValue(e)) }; break
        default: this.skip(tag, end)
      }
    }
    return v
  }

  /** Repeated field 1 messages up to `end`. */
  list<T> (end: number, item: (end: number) => T): T[] {
    const out: T[] = []
    while (this.pos < end) {
      const tag = this.tag(end)
      if (tag === T_LIST_VALUES) out.push(item(this.len(end)))
      else this.skip(tag, end)
    }
    return out
  }

  event (end: number): SpanEvent {
    const e: SpanEvent = { timeUnixNano: 0n, name: '', attributes: [], droppedAttributesCount: 0 }
    while (this.pos < end) {
      const tag = this.tag(end)
      if (tag === T_EVENT_TIME) e.timeUnixNano = this.fixed64(end)
      else if (tag === T_EVENT_NAME) e.name = this.string(end)
      else if (tag === T_EVENT_ATTRS) e.attributes.push(this.keyValue(this.len(end)))
      else if (tag === T_EVENT_DROPPED) e.droppedAttributesCount = this.uint32(end)
      else this.skip(tag, end)
    }
    return e
  }

  link (end: number): SpanLink {
    const l: SpanLink = { traceId: EMPTY, spanId: EMPTY, traceState: '', attributes: [], droppedAttributesCount: 0, flags: 0 }
    while (this.pos < end) {
      const tag = this.tag(end)
      if (tag === T_LINK_TRACE_ID) l.traceId = this.bytes(end)
      else if (tag === T_LINK_SPAN_ID) l.spanId = this.bytes(end)
      else if (tag === T_LINK_STATE) l.traceState = this.string(end)
      else if (tag === T_LINK_ATTRS) l.attributes.push(this.keyValue(this.len(end)))
      else if (tag === T_LINK_DROPPED) l.droppedAttributesCount = this.uint32(end)
      else if (tag === T_LINK_FLAGS) l.flags = this.fixed32(end)
      else this.skip(tag, end)
    }
    return l
  }

  /** Top-level repeated field `want` of a message spanning the whole buffer. */
  repeated<T> (want: number, item: (end: number) => T): T[] {
    const end = this.buf.length
    const out: T[] = []
    while (this.pos < end) {
      const tag = this.tag(end)
      if (tag === want) out.push(item(this.len(end)))
      else this.skip(tag, end)
    }
    return out
  }
}

export function decodeKeyValueList (bytes: Uint8Array): KeyValue[] {
  if (bytes.length === 0) return []
  const r = new Reader(bytes)
  return r.repeated(T_LIST_VALUES, (end) => r.keyValue(end))
}

export function decodeEvents (bytes: Uint8Array): SpanEvent[] {
  if (bytes.length === 0) return []
  const r = new Reader(bytes)
  return r.repeated(T_SPAN_EVENTS, (end) => r.event(end))
}

export function decodeLinks (bytes: Uint8Array): SpanLink[] {
  if (bytes.length === 0) return []
  const r = new Reader(bytes)
  return r.repeated(T_SPAN_LINKS, (end) => r.link(end))
}
