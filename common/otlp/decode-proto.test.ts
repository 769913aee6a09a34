import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import fc from 'fast-check'
import { decodeTracesProto } from './decode-proto.ts'
import { encodeTracesProto } from './encode-proto.ts'
import { OtlpDecodeError } from './errors.ts'
import { readableSpan, realisticSpanSpecs } from './testing/spans.ts'

// Hand-built protobuf, for inputs no serializer would produce.
function varint (n: bigint | number): Buffer {
  let v = BigInt.asUintN(64, BigInt(n))
  const out: number[] = []
  while (v > 0x7fn) { out.push(Number(v & 0x7fn) | 0x80); v >>= 7n }
  out.push(Number(v))
  return Buffer.from(out)
}
const tag = (field: number, wire: number): Buffer => varint((field << 3) | wire)
const len = (field: number, ...parts: Buffer[]): Buffer => { const body = Buffer.concat(parts); return Buffer.concat([tag(field, 2), varint(body.length), body]) }
const vint = (field: number, n: bigint | number): Buffer => Buffer.concat([tag(field, 0), varint(n)])
const fixed64 = (field: number, n: bigint): Buffer => { const b = Buffer.alloc(8); b.writeBigUInt64LE(n); return Buffer.concat([tag(field, 1), b]) }
const fixed32 = (field: number, n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return Buffer.concat([tag(field, 5), b]) }
/** TracesData with one resource, one scope and the given span bodies. */
const request = (...spans: Buffer[]): Buffer => len(1, len(2, ...spans.map((s) => len(2, s))))

const TRACE_ID = Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex')
const SPAN_ID = Buffer.from('a1a2a3a4a5a6a7a8', 'hex')
const goodSpan = Buffer.concat([len(1, TRACE_ID), len(2, SPAN_ID), len(5, Buffer.from('op')), vint(6, 2), fixed64(7, 5n), fixed64(8, 9n)])

function decodeError (bytes: Uint8Array): OtlpDecodeError {
  try {
    decodeTracesProto(bytes)
  } catch (err) {
    if (err instanceof OtlpDecodeError) return err
    throw err
  }
  assert.fail('expected an OtlpDecodeError')
}

/** Decoding either succeeds or throws OtlpDecodeError: nothing else may escape. */
function decodesOrRejects (bytes: Uint8Array): void {
  try {
    decodeTracesProto(bytes)
  } catch (err) {
    if (!(err instanceof OtlpDecodeError)) throw err
  }
}

describe('decodeTracesProto: valid input', () => {
  it('decodes a hand-built span and ignores unknown fields of every wire type, groups included', () => {
    const unknown = Buffer.concat([
      vint(99, 7), fixed64(98, 1n), len(97, Buffer.from('x')), fixed32(96, 3),
      tag(95, 3), vint(1, 1), tag(94, 3), len(2, Buffer.from('y')), tag(94, 4), tag(95, 4), // nested groups
    ])
    const plain = decodeTracesProto(request(goodSpan))
    const withUnknown = decodeTracesProto(Buffer.concat([unknown, len(1, unknown, len(2, unknown, len(2, unknown, goodSpan)))]))
    assert.deepStrictEqual(withUnknown, plain)
    const span = plain.resourceSpans[0]!.scopeSpans[0]!.spans[0]!
    assert.deepStrictEqual([span.traceId, span.spanId, span.name, span.kind, span.startTimeUnixNano, span.endTimeUnixNano], [TRACE_ID, SPAN_ID, 'op', 2, 5n, 9n])
    assert.deepStrictEqual(span.status, { code: 0, message: '' })
    assert.deepStrictEqual(plain.resourceSpans[0]!.resource, null)
    assert.deepStrictEqual(plain.resourceSpans[0]!.scopeSpans[0]!.scope, null)
  })

  it('empty input is an empty request', () => {
    assert.deepStrictEqual(decodeTracesProto(Buffer.alloc(0)), { resourceSpans: [] })
  })

  it('reads the deprecated instrumentation_library_spans (field 1000) as scope spans', () => {
    const lib = len(1, len(1, Buffer.from('lib')), len(2, Buffer.from('1.0')))
    const data = decodeTracesProto(len(1, len(1000, lib, len(2, goodSpan), len(3, Buffer.from('schema')))))
    const ss = data.resourceSpans[0]!.scopeSpans[0]!
    assert.deepStrictEqual(ss.scope, { name: 'lib', version: '1.0', attributes: [], droppedAttributesCount: 0 })
    assert.equal(ss.spans.length, 1)
    assert.equal(ss.schemaUrl, 'schema')
  })

  it('keeps negative int32 enums and int64 extremes exactly, and re-encodes them identically', () => {
    const attr = (k: string, v: bigint): Buffer => len(9, len(1, Buffer.from(k)), len(2, vint(3, v)))
    const span = Buffer.concat([vint(6, -1), attr('min', -(1n << 63n)), attr('max', (1n << 63n) - 1n), attr('neg', -5n), len(15, vint(3, -2))])
    const bytes = request(span)
    const s = decodeTracesProto(bytes).resourceSpans[0]!.scopeSpans[0]!.spans[0]!
    assert.equal(s.kind, -1)
    assert.deepStrictEqual(s.attributes.map((a) => a.value), [
      { kind: 'int', value: -(1n << 63n) }, { kind: 'int', value: (1n << 63n) - 1n }, { kind: 'int', value: -5n },
    ])
    assert.equal(s.status.code, -2)
    assert.deepStrictEqual(encodeTracesProto(decodeTracesProto(bytes)), bytes)
  })

  it('last value wins for a repeated scalar; invalid UTF-8 becomes U+FFFD; long and non-ASCII strings', () => {
    const long = 'x'.repeat(100) + 'é'
    const span = Buffer.concat([len(5, Buffer.from('a')), len(5, Buffer.from([0x61, 0xff])), len(3, Buffer.from(long)), len(4, Buffer.from('añb'))])
    const s = decodeTracesProto(request(span)).resourceSpans[0]!.scopeSpans[0]!.spans[0]!
    assert.equal(s.name, 'a\ufffd')
    assert.equal(s.traceState, long)
    assert.equal(s.parentSpanId.toString(), 'añb')
  })

  it('the string cache never returns a wrong string (many similar keys)', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `k${i % 7}.${i}.x`.slice(0, 4 + (i % 30)))
    const attrs = keys.map((k) => len(9, len(1, Buffer.from(k)), len(2, len(1, Buffer.from(k)))))
    const s = decodeTracesProto(request(Buffer.concat(attrs))).resourceSpans[0]!.scopeSpans[0]!.spans[0]!
    assert.deepStrictEqual(s.attributes.map((a) => a.key), keys)
    assert.deepStrictEqual(s.attributes.map((a) => a.value.kind === 'string' ? a.value.value : ''), keys)
  })
})

describe('decodeTracesProto: bad input', () => {
  const fixture = Buffer.from(ProtobufTraceSerializer.serializeRequest(realisticSpanSpecs(3, 42).map(readableSpan))!)

  it('every truncation of a real request is an OtlpDecodeError saying "truncated" with a path', () => {
    for (let cut = 1; cut < fixture.length; cut++) {
      const err = decodeError(fixture.subarray(0, cut))
      assert.match(err.message, /truncated/, `cut at ${cut}: ${err.message}`)
      assert.match(err.message, /^resource_spans\[0\]/, `cut at ${cut}: ${err.message}`)
      assert.ok(err.offset >= 0 && err.offset <= cut, `cut at ${cut}: offset ${err.offset}`)
    }
  })

  it('random bytes: only OtlpDecodeError ever escapes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => { decodesOrRejects(bytes) }), { numRuns: 2000 })
  })

  it('mutated real requests: only OtlpDecodeError ever escapes', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(fixture.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
      const bytes = Buffer.from(fixture)
      for (const [at, value] of edits) bytes[at] = value
      decodesOrRejects(bytes)
    }), { numRuns: 1000 })
  })

  it('a length past the end names the field and the offset', () => {
    const span = Buffer.concat([tag(1, 2), varint(16), Buffer.from([1, 2, 3])])
    const bytes = Buffer.concat([tag(1, 2), varint(span.length + 4), tag(2, 2), varint(span.length + 2), tag(2, 2), varint(span.length), span])
    assert.equal(decodeError(bytes).message,
      'resource_spans[0].scope_spans[0].spans[0].trace_id: truncated length-delimited field (length 16, 3 bytes left) at byte 7')
  })

  it('the index of the failing element is in the path', () => {
    const bad = Buffer.concat([tag(9, 2), varint(50)])
    const err = decodeError(request(goodSpan, goodSpan, Buffer.concat([goodSpan, len(9, len(1, Buffer.from('k'))), bad])))
    assert.match(err.message, /^resource_spans\[0\]\.scope_spans\[0\]\.spans\[2\]\.attributes\[1\]: truncated length-delimited field/)
  })

  it('a known field with the wrong wire type', () => {
    assert.match(decodeError(request(vint(1, 5))).message,
      /^resource_spans\[0\]\.scope_spans\[0\]\.spans\[0\]\.trace_id: wrong wire type: expected length-delimited, got varint at byte \d+$/)
    assert.match(decodeError(request(len(7, Buffer.alloc(8)))).message, /spans\[0\]\.start_time_unix_nano: wrong wire type: expected fixed64, got length-delimited/)
    assert.match(decodeError(request(vint(16, 1))).message, /spans\[0\]\.flags: wrong wire type: expected fixed32, got varint/)
    assert.match(decodeError(request(len(9, len(2, fixed32(3, 1))))).message, /spans\[0\]\.attributes\[0\]\.value\.int_value: wrong wire type: expected varint, got fixed32/)
    assert.match(decodeError(vint(1, 1)).message, /^resource_spans: wrong wire type/)
  })

  it('varints longer than 10 bytes or wider than 64 bits', () => {
    assert.match(decodeError(request(Buffer.concat([tag(6, 0), Buffer.alloc(10, 0xff), Buffer.from([1])]))).message, /spans\[0\]\.kind: varint longer than 10 bytes/)
    assert.match(decodeError(request(Buffer.concat([tag(6, 0), Buffer.alloc(9, 0xff), Buffer.from([2])]))).message, /kind: varint longer than 10 bytes or wider than 64 bits/)
    // The largest valid varint is fine.
    decodeTracesProto(request(Buffer.concat([tag(6, 0), Buffer.alloc(9, 0xff), Buffer.from([1])])))
  })

  it('a huge declared length is rejected before allocating', () => {
    const bytes = Buffer.concat([tag(1, 2), varint(0xffffffffffn)])
    assert.match(decodeError(bytes).message, /^resource_spans\[0\]: truncated length-delimited field \(length over 4 GiB, 0 bytes left\) at byte 1$/)
    assert.match(decodeError(Buffer.concat([tag(1, 2), varint(0x7fffffff)])).message, /length 2147483647, 0 bytes left/)
  })

  it('field number 0, invalid wire types, stray or mismatched end-groups, unterminated groups', () => {
    assert.match(decodeError(Buffer.from([0x00])).message, /^invalid field number 0 at byte 0$/)
    assert.match(decodeError(Buffer.from([(99 << 3 | 6) & 0x7f | 0x80, 99 >> 4])).message, /invalid wire type 6 \(field 99\)/)
    assert.match(decodeError(Buffer.concat([tag(99, 7)])).message, /invalid wire type 7/)
    assert.match(decodeError(tag(99, 4)).message, /unexpected end-group tag \(field 99\)/)
    assert.match(decodeError(Buffer.concat([tag(99, 3), tag(98, 4)])).message, /end-group tag of field 98 closes group of field 99/)
    assert.match(decodeError(Buffer.concat([tag(99, 3), vint(1, 1)])).message, /unterminated group \(field 99\)/)
  })

  it('deep nesting is an OtlpDecodeError, not a stack overflow', () => {
    let value = vint(3, 1)
    for (let i = 0; i < 200; i++) value = len(5, len(1, value)) // array_value { values: [ value ] }
    const err = decodeError(request(len(9, len(1, Buffer.from('k')), len(2, value))))
    assert.match(err.message, /^resource_spans\[0\]\.scope_spans\[0\]\.spans\[0\]\.attributes\[0\]\.value(\.array_value\.values\[0\])+\.array_value: values nested deeper than 100 at byte \d+$/)
    let group = Buffer.alloc(0)
    for (let i = 0; i < 200; i++) group = Buffer.concat([tag(99, 3), group, tag(99, 4)])
    assert.match(decodeError(group).message, /groups nested deeper than 100/)
    // 5000 levels must not overflow the stack either.
    let deep = vint(3, 1)
    for (let i = 0; i < 5000; i++) deep = len(5, len(1, deep))
    decodeError(request(len(9, len(2, deep))))
  })
})
