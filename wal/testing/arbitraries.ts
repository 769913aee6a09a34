import fc from 'fast-check'
import type { AnyValue, InstrumentationScope, KeyValue, Resource, ResourceSpans, Span, SpanEvent, SpanLink, TracesData } from '../../common/otlp/model.ts'

/**
 * fast-check arbitraries for the OTLP model itself (common/otlp/testing builds SpanSpecs for the
 * official serializer instead): every AnyValue kind, int64 extremes, timestamps across the whole
 * uint64 range, null and empty resources and scopes, events, links and dropped counts.
 */
/** fc.record with ordinary (not null-prototype) objects, as the codecs build them. */
function rec<T> (model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true })
}

const MAX_U64 = (1n << 64n) - 1n
const NS = 1_000_000_000n

// Strings as OTLP carries them: valid UTF-8 (no lone surrogates).
const arbString = fc.oneof(fc.string({ maxLength: 10 }), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom('', 'service.name', 'http.method'))
const arbBytes = (min: number, max: number): fc.Arbitrary<Buffer> => fc.uint8Array({ minLength: min, maxLength: max }).map((b) => Buffer.from(b))

export const arbNanos: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt(1_600_000_000n * NS, 1_900_000_000n * NS),
  fc.bigInt((1n << 53n) - 10n, (1n << 53n) + 10n),
  fc.bigInt((1n << 63n) - 10n, (1n << 63n) + 10n),
  fc.bigInt(MAX_U64 - 10n, MAX_U64),
  fc.constant(0n),
)

const { value: arbValue } = fc.letrec<{ value: AnyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    arbString.map((value): AnyValue => ({ kind: 'string', value })),
    fc.boolean().map((value): AnyValue => ({ kind: 'bool', value })),
    fc.oneof(fc.bigInt(-(1n << 63n), (1n << 63n) - 1n), fc.constantFrom(0n, -1n, (1n << 53n) + 1n, -(1n << 63n), (1n << 63n) - 1n)).map((value): AnyValue => ({ kind: 'int', value })),
    fc.double({ noNaN: true }).map((value): AnyValue => ({ kind: 'double', value })),
    arbBytes(0, 12).map((value): AnyValue => ({ kind: 'bytes', value })),
    fc.constant<AnyValue>({ kind: 'empty' }),
    fc.array(tie('value'), { maxLength: 3 }).map((value): AnyValue => ({ kind: 'array', value })),
    fc.array(rec({ key: arbString, value: tie('value') }), { maxLength: 3 }).map((value): AnyValue => ({ kind: 'kvlist', value: value as KeyValue[] })),
  ),
}))
export { arbValue }

export const arbAttributes: fc.Arbitrary<KeyValue[]> = fc.array(rec({
  key: fc.oneof(arbString, fc.constantFrom('http.method', 'http.status_code', 'db.system', 'service.name')),
  value: arbValue,
}), { maxLength: 5 })
const arbCount = fc.oneof(fc.constant(0), fc.nat(10), fc.constant(0xffffffff))

const arbEvent: fc.Arbitrary<SpanEvent> = rec({ timeUnixNano: arbNanos, name: arbString, attributes: arbAttributes, droppedAttributesCount: arbCount })
const arbLink: fc.Arbitrary<SpanLink> = rec({
  traceId: fc.oneof(arbBytes(16, 16), fc.constant(Buffer.alloc(0))),
  spanId: fc.oneof(arbBytes(8, 8), fc.constant(Buffer.alloc(0))),
  traceState: arbString,
  attributes: arbAttributes,
  droppedAttributesCount: arbCount,
  flags: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })),
})

const arbSpan = (traceId: fc.Arbitrary<Buffer>): fc.Arbitrary<Span> => rec({
  traceId,
  spanId: arbBytes(8, 8),
  traceState: arbString,
  parentSpanId: fc.oneof(fc.constant(Buffer.alloc(0)), arbBytes(8, 8)),
  flags: fc.oneof(fc.constant(0), fc.constant(1), fc.integer({ min: 0, max: 0xffffffff })),
  name: arbString,
  kind: fc.integer({ min: 0, max: 5 }),
  startTimeUnixNano: arbNanos,
  endTimeUnixNano: arbNanos,
  attributes: arbAttributes,
  droppedAttributesCount: arbCount,
  events: fc.array(arbEvent, { maxLength: 2 }),
  droppedEventsCount: arbCount,
  links: fc.array(arbLink, { maxLength: 2 }),
  droppedLinksCount: arbCount,
  status: rec({ code: fc.integer({ min: 0, max: 2 }), message: arbString }),
})

const arbResource: fc.Arbitrary<Resource | null> = fc.option(rec({ attributes: arbAttributes, droppedAttributesCount: arbCount }), { nil: null })
const arbScope: fc.Arbitrary<InstrumentationScope | null> = fc.option(rec({ name: arbString, version: arbString, attributes: arbAttributes, droppedAttributesCount: arbCount }), { nil: null })

/** 1–3 TracesData batches over a few shared trace ids (so traces span batches and resources). */
export const arbTracesData: fc.Arbitrary<TracesData[]> = fc.array(arbBytes(16, 16), { minLength: 1, maxLength: 4 }).chain((ids) => {
  const span = arbSpan(fc.constantFrom(...ids))
  const rs: fc.Arbitrary<ResourceSpans> = rec({
    resource: arbResource,
    schemaUrl: arbString,
    scopeSpans: fc.array(rec({ scope: arbScope, schemaUrl: arbString, spans: fc.array(span, { minLength: 1, maxLength: 4 }) }), { minLength: 1, maxLength: 2 }),
  })
  return fc.array(rec({ resourceSpans: fc.array(rs, { minLength: 1, maxLength: 2 }) }), { minLength: 1, maxLength: 3 })
})
