import { decodeKeyValueList as decodeKvList, decodeSpanMessage, encodeKeyValueList as encodeKvList, encodeSpanMessage } from '../../common/otlp/index.ts'
import type { KeyValue, Span, SpanEvent, SpanLink } from '../../common/otlp/model.ts'

/**
 * The serialized columns of block format v1 (attributes, events, links, resource and scope
 * attributes) hold standard OTLP protobuf bytes, so any protobuf tool can read them:
 *
 *   attributes columns  `opentelemetry.proto.common.v1.KeyValueList` (field 1: repeated KeyValue)
 *   events column       `opentelemetry.proto.trace.v1.Span` with only field 11 (repeated Event)
 *   links column        `opentelemetry.proto.trace.v1.Span` with only field 13 (repeated Link)
 *
 * The codecs are common/otlp's own: the oneof member of every AnyValue is always written (even
 * '', false, 0), so a string '' and an empty AnyValue stay distinct; int64 is an exact varint,
 * double its 8 IEEE bytes (-0 included). An empty list is a zero-length value.
 */
const EMPTY = Buffer.alloc(0)
const NO_ID = Buffer.alloc(0)

/** A span with nothing set, so only the field being stored is written. */
function bareSpan (fields: Partial<Span>): Span {
  return {
    traceId: NO_ID, spanId: NO_ID, traceState: '', parentSpanId: NO_ID, flags: 0, name: '', kind: 0, startTimeUnixNano: 0n, endTimeUnixNano: 0n,
    attributes: [], droppedAttributesCount: 0, events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, status: { code: 0, message: '' }, ...fields,
  }
}

export function encodeKeyValueList (kvs: readonly KeyValue[]): Buffer {
  return kvs.length === 0 ? EMPTY : encodeKvList([...kvs])
}

export function encodeEvents (events: readonly SpanEvent[]): Buffer {
  return events.length === 0 ? EMPTY : encodeSpanMessage(bareSpan({ events: [...events] }))
}

export function encodeLinks (links: readonly SpanLink[]): Buffer {
  return links.length === 0 ? EMPTY : encodeSpanMessage(bareSpan({ links: [...links] }))
}

export function decodeKeyValueList (bytes: Uint8Array): KeyValue[] {
  return bytes.length === 0 ? [] : decodeKvList(bytes)
}

export function decodeEvents (bytes: Uint8Array): SpanEvent[] {
  return bytes.length === 0 ? [] : decodeSpanMessage(bytes).events
}

export function decodeLinks (bytes: Uint8Array): SpanLink[] {
  return bytes.length === 0 ? [] : decodeSpanMessage(bytes).links
}
