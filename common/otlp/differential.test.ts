import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import fc from 'fast-check'
import { decodeTracesJson } from './decode-json.ts'
import { decodeTracesProto } from './decode-proto.ts'
import { encodeTracesJson } from './encode-json.ts'
import { encodeTracesProto, protoSizeOfSpan, protoSizeOfTracesData } from './encode-proto.ts'
import type { TracesData } from './model.ts'
import { canonicalOfficial, modelFromOfficial } from './testing/official.ts'
import { arbSpanSpecs } from './testing/arbitraries.ts'
import { officialRequestType, readableSpan, realisticSpanSpecs } from './testing/spans.ts'
import type { SpanSpec } from './testing/spans.ts'

/**
 * Differential tests against the official OpenTelemetry JS serializers: random spans → official
 * protobuf and OTLP/JSON → our decoders must agree with each other and with the official
 * generated decoder; our encoder must round-trip and produce the canonical bytes.
 */
const official = officialRequestType()
const RUNS = Number(process.env.OTLP_PROPERTY_RUNS ?? 250)

function serialize (specs: SpanSpec[]): { pb: Uint8Array, json: Uint8Array } {
  const spans = specs.map(readableSpan)
  return { pb: ProtobufTraceSerializer.serializeRequest(spans)!, json: JsonTraceSerializer.serializeRequest(spans)! }
}

function spanSizes (data: TracesData): number {
  let total = 0
  for (const rs of data.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) total += protoSizeOfSpan(s)
  return total
}

function checkAll (specs: SpanSpec[]): void {
  const { pb, json } = serialize(specs)
  const fromPb = decodeTracesProto(pb)
  // 1. Our protobuf decoder agrees with the official generated decoder.
  assert.deepStrictEqual(fromPb, modelFromOfficial(official.decode(pb)))
  // 2. …and with our OTLP/JSON decoder on the official JSON of the same spans.
  assert.deepStrictEqual(decodeTracesJson(json), fromPb)
  assert.deepStrictEqual(decodeTracesJson(Buffer.from(json).toString('utf8')), fromPb)
  // 3. Our encoder round-trips, writes the canonical bytes, and its size functions are exact.
  const re = encodeTracesProto(fromPb)
  assert.deepStrictEqual(decodeTracesProto(re), fromPb)
  const canonical = official.encode(canonicalOfficial(official.decode(pb))).finish()
  assert.deepStrictEqual(re, Buffer.from(canonical))
  assert.equal(protoSizeOfTracesData(fromPb), re.length)
  assert.ok(spanSizes(fromPb) < re.length || re.length === 0)
  // 4. Our OTLP/JSON output decodes back to the same model.
  assert.deepStrictEqual(decodeTracesJson(encodeTracesJson(fromPb, { dialect: 'otlp' })), fromPb)
}

describe('differential against @opentelemetry/otlp-transformer', () => {
  it('random spans: proto decoder = official decoder = JSON decoder; encoder canonical and round-trips', () => {
    fc.assert(fc.property(arbSpanSpecs, (specs) => { checkAll(specs) }), { numRuns: RUNS })
  })

  it('realistic 100-span batches', () => {
    for (let seed = 1; seed <= 5; seed++) checkAll(realisticSpanSpecs(100, seed))
  })

  it('named example: every value type, remote parent, trace state, timestamps at 2^63 and 2^64-1', () => {
    const resource = { attributes: { 'service.name': 'api', 'k8s.pod': 'api-1' }, schemaUrl: 'https://opentelemetry.io/schemas/1.21.0' }
    const spec: SpanSpec = {
      traceId: '0102030405060708090A0B0C0D0E0F10',
      spanId: 'a1a2a3a4a5a6a7a8',
      traceFlags: 1,
      traceState: 'vendor=x,other=y',
      parent: { spanId: 'b1b2b3b4b5b6b7b8', isRemote: true },
      name: 'GET /ü/😀',
      kind: 1,
      start: 1n << 63n,
      end: (1n << 64n) - 1n,
      attributes: {
        s: 'x', e: '', b: true, f: false, i: -(2 ** 63), big: 2 ** 62, z: 0, d: 1.5, nd: -2.25e-300,
        bytes: new Uint8Array([0, 1, 255]), nothing: null,
        arr: [1, 'two', [3, [4]], { k: 'v' }, null], kv: { a: { b: { c: [true] } } }, empty: [], emptyKv: {},
      },
      droppedAttributesCount: 3,
      events: [{ name: 'ev', time: 1n, attributes: { n: 1 }, droppedAttributesCount: 2 }, { name: '', time: 0n }],
      droppedEventsCount: 4,
      links: [{ traceId: 'ffffffffffffffffffffffffffffffff', spanId: '0000000000000001', traceFlags: 0, traceState: 'a=b', isRemote: true, attributes: { l: 'x' }, droppedAttributesCount: 1 }],
      droppedLinksCount: 5,
      status: { code: 2, message: 'boom' },
      resource,
      scope: { name: 'lib', version: '1.0.0', schemaUrl: 'https://s' },
    }
    checkAll([spec, { ...spec, spanId: 'c1c2c3c4c5c6c7c8', parent: undefined, status: { code: 0 }, kind: 4, scope: { name: 'other' } }])
    const model = decodeTracesProto(serialize([spec]).pb)
    const span = model.resourceSpans[0]!.scopeSpans[0]!.spans[0]!
    assert.equal(span.traceId.toString('hex'), '0102030405060708090a0b0c0d0e0f10')
    assert.equal(span.parentSpanId.toString('hex'), 'b1b2b3b4b5b6b7b8')
    assert.equal(span.flags, 0x301) // sampled | HAS_IS_REMOTE | IS_REMOTE
    assert.equal(span.kind, 2)
    assert.equal(span.startTimeUnixNano, 1n << 63n)
    assert.equal(span.endTimeUnixNano, (1n << 64n) - 1n)
    assert.deepStrictEqual(span.attributes.find((a) => a.key === 'i')!.value, { kind: 'int', value: -(1n << 63n) })
    assert.deepStrictEqual(span.attributes.find((a) => a.key === 'nothing')!.value, { kind: 'empty' })
    assert.deepStrictEqual(span.status, { code: 2, message: 'boom' })
    assert.equal(model.resourceSpans[0]!.scopeSpans[0]!.schemaUrl, 'https://s')
  })

  it('ids are copies, not views into the request', () => {
    const pb = Buffer.from(serialize(realisticSpanSpecs(3, 9)).pb)
    const span = decodeTracesProto(pb).resourceSpans[0]!.scopeSpans[0]!.spans[0]!
    const before = [span.traceId, span.spanId, span.parentSpanId].map((id) => id.toString('hex'))
    pb.fill(0) // the request body is reused or freed: the model must not change
    assert.deepStrictEqual([span.traceId, span.spanId, span.parentSpanId].map((id) => id.toString('hex')), before)
    assert.equal(span.attributes[0]!.key.length > 0, true)
  })
})
