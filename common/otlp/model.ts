/**
 * The OpenTelemetry trace data model (OTLP `opentelemetry.proto.trace.v1`), as plain objects.
 * Shared by ingest/ (decodes requests, writes Kafka records), store/ (keeps live traces) and
 * query/ (renders Tempo's JSON and protobuf), so it lives with the shared types.
 *
 * Conventions: ids are Buffers of their exact length (16-byte trace id, 8-byte span id; an empty
 * Buffer where absent, e.g. the parent of a root span) and never views into a request body (so a
 * live span never pins a whole request in memory); 64-bit integers are bigint; enums are numbers
 * with the OTLP values below; every field is always present with its proto3 default.
 */
export type AnyValue =
  | { kind: 'string', value: string }
  | { kind: 'bool', value: boolean }
  | { kind: 'int', value: bigint }
  | { kind: 'double', value: number }
  | { kind: 'bytes', value: Buffer }
  | { kind: 'array', value: AnyValue[] }
  | { kind: 'kvlist', value: KeyValue[] }
  /** An AnyValue with no value set (allowed by the spec). */
  | { kind: 'empty' }

export interface KeyValue { key: string, value: AnyValue }

export interface Resource {
  attributes: KeyValue[]
  droppedAttributesCount: number
}

export interface InstrumentationScope {
  name: string
  version: string
  attributes: KeyValue[]
  droppedAttributesCount: number
}

/** Span.SpanKind */
export const SpanKind = { UNSPECIFIED: 0, INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const
/** Status.StatusCode */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const

export interface SpanEvent {
  timeUnixNano: bigint
  name: string
  attributes: KeyValue[]
  droppedAttributesCount: number
}

export interface SpanLink {
  traceId: Buffer
  spanId: Buffer
  traceState: string
  attributes: KeyValue[]
  droppedAttributesCount: number
  flags: number
}

export interface Status { code: number, message: string }

export interface Span {
  traceId: Buffer
  spanId: Buffer
  traceState: string
  parentSpanId: Buffer
  flags: number
  name: string
  kind: number
  startTimeUnixNano: bigint
  endTimeUnixNano: bigint
  attributes: KeyValue[]
  droppedAttributesCount: number
  events: SpanEvent[]
  droppedEventsCount: number
  links: SpanLink[]
  droppedLinksCount: number
  status: Status
}

export interface ScopeSpans {
  /** null when the message had no scope field. */
  scope: InstrumentationScope | null
  spans: Span[]
  schemaUrl: string
}

export interface ResourceSpans {
  /** null when the message had no resource field. */
  resource: Resource | null
  scopeSpans: ScopeSpans[]
  schemaUrl: string
}

/** ExportTraceServiceRequest / TracesData / tempopb.Trace all carry just this. */
export interface TracesData { resourceSpans: ResourceSpans[] }
