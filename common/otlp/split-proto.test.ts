import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import fc from 'fast-check'
import { decodeTracesProto } from './decode-proto.ts'
import { encodeTracesProto } from './encode-proto.ts'
import { OtlpDecodeError } from './errors.ts'
import { span, traces } from './testing/model-fixture.ts'
import { arbSpanSpecs } from './testing/arbitraries.ts'
import { readableSpan, realisticSpanSpecs } from './testing/spans.ts'
import { splitByTrace } from './split.ts'
import { splitRequestByTrace } from './split-proto.ts'

/**
 * The byte-splicing splitter must agree with decode-then-split: the same traces, each request
 * decoding to exactly the model `splitByTrace` gives, and it must reject exactly what the decoder
 * rejects (else the distributor could acknowledge a request the reader cannot decode).
 */
/** A length-delimited field: tag bytes, a one-byte length, the payload (tests keep it < 128). */
function ld (tag: number[], payload: Buffer): Buffer {
  assert.ok(payload.length < 128)
  return Buffer.concat([Buffer.from([...tag, payload.length]), payload])
}

const RUNS = Number(process.env.OTLP_PROPERTY_RUNS ?? 200)

function agrees (pb: Uint8Array): void {
  const bytes = Buffer.from(pb)
  const split = splitRequestByTrace(bytes)
  const expected = splitByTrace(decodeTracesProto(bytes))
  assert.deepEqual(split.traces.map((t) => t.traceId.toString('hex')), [...expected.keys()])
  for (const t of split.traces) assert.deepStrictEqual(decodeTracesProto(t.request), expected.get(t.traceId.toString('hex')))
}

function outcome (f: () => unknown): string {
  try { f(); return 'ok' } catch (err) {
    assert.ok(err instanceof OtlpDecodeError, `only OtlpDecodeError may escape, got ${String(err)}`)
    return 'error'
  }
}

describe('splitRequestByTrace', () => {
  it('random official requests split into the same traces as decode + splitByTrace', () => {
    fc.assert(fc.property(arbSpanSpecs, (specs) => { agrees(ProtobufTraceSerializer.serializeRequest(specs.map(readableSpan))!) }), { numRuns: RUNS })
  })

  it('realistic batches, and our own encoder\'s bytes', () => {
    for (let seed = 1; seed <= 3; seed++) {
      const pb = ProtobufTraceSerializer.serializeRequest(realisticSpanSpecs(200, seed).map(readableSpan))!
      agrees(pb)
      agrees(encodeTracesProto(decodeTracesProto(pb)))
    }
  })

  it('rejects exactly what the decoder rejects (random and mutated bytes)', () => {
    const valid = ProtobufTraceSerializer.serializeRequest(realisticSpanSpecs(20, 7).map(readableSpan))!
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      const bytes = Buffer.from(b)
      assert.equal(outcome(() => splitRequestByTrace(bytes)), outcome(() => decodeTracesProto(bytes)))
    }), { numRuns: 2000 })
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.nat(255)), { minLength: 1, maxLength: 4 }), fc.nat(valid.length), (edits, cut) => {
      const bytes = Buffer.from(valid).subarray(0, cut === 0 ? valid.length : cut)
      for (const [at, v] of edits) if (at < bytes.length) bytes[at] = v
      assert.equal(outcome(() => splitRequestByTrace(bytes)), outcome(() => decodeTracesProto(bytes)))
    }), { numRuns: 2000 })
  })

  it('names where a malformed request is broken', () => {
    // A span whose `name` (field 5) arrives as a varint.
    const bad = ld([0x0a], ld([0x12], ld([0x12], Buffer.concat([ld([0x0a], Buffer.alloc(16, 1)), ld([0x12], Buffer.alloc(8, 2)), Buffer.from([0x28, 0x01])]))))
    assert.throws(() => splitRequestByTrace(bad), /resource_spans\[0\]\.scope_spans\[0\]\.spans\[0\]\.name: wrong wire type/)
    assert.throws(() => decodeTracesProto(bad), OtlpDecodeError)
  })

  it('counts spans with invalid ids and leaves them out', () => {
    const data = traces([span(), span({ traceId: Buffer.alloc(16) }), span({ spanId: Buffer.alloc(3, 1) })])
    const r = splitRequestByTrace(encodeTracesProto(data))
    assert.equal(r.spans, 3)
    assert.deepEqual(r.invalid, { traceId: 1, spanId: 1 })
    assert.equal(r.traces.reduce((n, t) => n + t.spanCount, 0), 1)
  })

  it('re-emits deprecated instrumentation_library_spans as scope_spans', () => {
    const spanBytes = Buffer.concat([ld([0x0a], Buffer.alloc(16, 1)), ld([0x12], Buffer.alloc(8, 2)), ld([0x2a], Buffer.from('op'))])
    const scope = ld([0x0a], ld([0x0a], Buffer.from('lib')))
    const legacy = ld([0x0a], ld([0xc2, 0x3e], Buffer.concat([scope, ld([0x12], spanBytes)])))
    const modern = ld([0x0a], ld([0x12], Buffer.concat([scope, ld([0x12], spanBytes)])))
    const [t] = splitRequestByTrace(legacy).traces
    assert.deepEqual(t?.request, modern)
    assert.deepStrictEqual(decodeTracesProto(legacy), decodeTracesProto(modern))
  })
})
