import fc from 'fast-check'
import type { RawAttributes, RawValue, SpanSpec } from './spans.ts'

/**
 * fast-check arbitraries for SpanSpec (see spans.ts), covering every OTLP feature the official
 * serializer can express. Kept apart from spans.ts so benchmarks do not load fast-check.
 */
const NS = 1_000_000_000n

export const arbString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({ minLength: 30, maxLength: 200 }),
)

/** Hex in random case (the JSON path must accept either). */
const arbHex = (bytes: number): fc.Arbitrary<string> => fc.tuple(fc.uint8Array({ minLength: bytes, maxLength: bytes }), fc.boolean())
  .map(([b, upper]) => { const h = Buffer.from(b).toString('hex'); return upper ? h.toUpperCase() : h })

const MAX_U64 = (1n << 64n) - 1n
export const arbNanos: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt(1_600_000_000n * NS, 1_900_000_000n * NS),
  fc.bigInt((1n << 63n) - 2000n, (1n << 63n) + 2000n),
  fc.bigInt(MAX_U64 - 2000n, MAX_U64),
  fc.bigInt(0n, MAX_U64),
  fc.constant(0n),
)

/** Integers the transformer encodes as int_value: integral doubles in the int64 range. */
const arbInt: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.bigInt(-(1n << 63n), (1n << 63n) - 1n).map((b) => Number(b)).filter((n) => n < 2 ** 63),
  fc.constantFrom(0, -1, 2 ** 62, -(2 ** 63)),
)
/** Doubles that survive JSON (finite, not integral, so not encoded as int_value). */
const arbDouble: fc.Arbitrary<number> = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d))

const { value: arbValue } = fc.letrec<{ value: RawValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    arbString,
    fc.boolean(),
    arbInt,
    arbDouble,
    fc.uint8Array({ maxLength: 24 }),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(arbString, tie('value'), { maxKeys: 4 }),
  ),
}))
export { arbValue }

export const arbAttributes: fc.Arbitrary<RawAttributes> = fc.dictionary(arbString, arbValue, { maxKeys: 6 })
const arbCount = fc.oneof(fc.constant(0), fc.nat(10), fc.constant(0xffffffff))

const arbResource = fc.record({ attributes: arbAttributes, schemaUrl: fc.option(arbString, { nil: undefined }) }, { requiredKeys: ['attributes'] })
const arbScope = fc.record({ name: arbString, version: fc.option(arbString, { nil: undefined }), schemaUrl: fc.option(arbString, { nil: undefined }) }, { requiredKeys: ['name'] })

const arbSpanSpec = (resource: fc.Arbitrary<SpanSpec['resource']>, scope: fc.Arbitrary<SpanSpec['scope']>, traceId: fc.Arbitrary<string>): fc.Arbitrary<SpanSpec> => fc.record({
  traceId,
  spanId: arbHex(8),
  traceFlags: fc.integer({ min: 0, max: 255 }),
  traceState: fc.option(arbString, { nil: undefined }),
  parent: fc.option(fc.record({ spanId: arbHex(8), isRemote: fc.boolean() }), { nil: undefined }),
  name: arbString,
  kind: fc.integer({ min: 0, max: 4 }),
  start: arbNanos,
  end: arbNanos,
  attributes: arbAttributes,
  droppedAttributesCount: arbCount,
  events: fc.array(fc.record({
    name: arbString,
    time: arbNanos,
    attributes: fc.option(arbAttributes, { nil: undefined }),
    droppedAttributesCount: fc.option(arbCount, { nil: undefined }),
  }, { requiredKeys: ['name', 'time'] }), { maxLength: 3 }),
  droppedEventsCount: arbCount,
  links: fc.array(fc.record({
    traceId: arbHex(16),
    spanId: arbHex(8),
    traceFlags: fc.integer({ min: 0, max: 255 }),
    traceState: fc.option(arbString, { nil: undefined }),
    isRemote: fc.option(fc.boolean(), { nil: undefined }),
    attributes: fc.option(arbAttributes, { nil: undefined }),
    droppedAttributesCount: fc.option(arbCount, { nil: undefined }),
  }, { requiredKeys: ['traceId', 'spanId', 'traceFlags'] }), { maxLength: 3 }),
  droppedLinksCount: arbCount,
  status: fc.record({ code: fc.integer({ min: 0, max: 2 }), message: fc.option(arbString, { nil: undefined }) }, { requiredKeys: ['code'] }),
  resource,
  scope,
}, { requiredKeys: ['traceId', 'spanId', 'traceFlags', 'name', 'kind', 'start', 'end', 'attributes', 'droppedAttributesCount', 'events', 'droppedEventsCount', 'links', 'droppedLinksCount', 'status', 'resource', 'scope'] })

/** 1–12 spans over a few shared resources, scopes and trace ids (so grouping and splitting matter). */
export const arbSpanSpecs: fc.Arbitrary<SpanSpec[]> = fc.tuple(
  fc.array(arbResource, { minLength: 1, maxLength: 3 }),
  fc.array(arbScope, { minLength: 1, maxLength: 3 }),
  fc.array(arbHex(16), { minLength: 1, maxLength: 3 }),
).chain(([rs, ss, ids]) => fc.array(arbSpanSpec(fc.constantFrom(...rs), fc.constantFrom(...ss), fc.constantFrom(...ids)), { minLength: 1, maxLength: 12 }))

