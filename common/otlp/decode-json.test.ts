import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { decodeTracesJson } from './decode-json.ts'
import { OtlpDecodeError } from './errors.ts'

function decodeError (doc: unknown): OtlpDecodeError {
  try {
    decodeTracesJson(typeof doc === 'string' ? doc : JSON.stringify(doc))
  } catch (err) {
    if (err instanceof OtlpDecodeError) return err
    throw err
  }
  assert.fail('expected an OtlpDecodeError')
}

const TRACE = '0102030405060708090a0b0c0d0e0f10'
const SPAN = 'a1a2a3a4a5a6a7a8'
/** A request whose 4th span (index 3) is `bad`. */
const withSpan = (bad: Record<string, unknown>): unknown => ({
  resourceSpans: [{ scopeSpans: [{ spans: [{}, {}, {}, { traceId: TRACE, spanId: SPAN, ...bad }] }] }],
})

describe('decodeTracesJson', () => {
  it('decodes the spec shapes: camelCase and snake_case keys, hex ids in any case, int64 strings or numbers, enum names or numbers', () => {
    const data = decodeTracesJson(JSON.stringify({
      resource_spans: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }], dropped_attributes_count: 2 },
        scope_spans: [{
          scope: { name: 'lib', version: '1' },
          spans: [{
            trace_id: TRACE.toUpperCase(), spanId: SPAN, parentSpanId: '', traceState: 'a=b', flags: 257,
            name: 'op', kind: 'SPAN_KIND_SERVER', startTimeUnixNano: '18446744073709551615', end_time_unix_nano: 1700000000000000000,
            attributes: [
              { key: 'i', value: { intValue: '-9223372036854775808' } }, { key: 'n', value: { int_value: 42 } },
              { key: 'd', value: { doubleValue: 'NaN' } }, { key: 'd2', value: { doubleValue: '1.5e3' } },
              { key: 'b', value: { boolValue: false } }, { key: 'by', value: { bytesValue: 'AAH/' } }, { key: 'url', value: { bytesValue: '-_8' } },
              { key: 'a', value: { arrayValue: { values: [{ stringValue: 'x' }, {}] } } }, { key: 'kv', value: { kvlistValue: { values: [{ key: 'k' }] } } },
              { key: 'e', value: {} }, { key: 'nul', value: null }, { key: 'nv', value: { stringValue: null, intValue: '1' } },
            ],
            events: [{ timeUnixNano: '5', name: 'ev', droppedAttributesCount: '3' }],
            links: [{ traceId: TRACE, spanId: SPAN, flags: 1 }],
            status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
            droppedLinksCount: 1,
            someFutureField: { whatever: true },
          }],
          schemaUrl: 's',
        }],
      }],
      unknownTopLevel: 1,
    }))
    const rs = data.resourceSpans[0]!
    assert.deepStrictEqual(rs.resource, { attributes: [{ key: 'service.name', value: { kind: 'string', value: 'api' } }], droppedAttributesCount: 2 })
    const span = rs.scopeSpans[0]!.spans[0]!
    assert.equal(span.traceId.toString('hex'), TRACE)
    assert.equal(span.parentSpanId.length, 0)
    assert.equal(span.kind, 2)
    assert.equal(span.startTimeUnixNano, (1n << 64n) - 1n)
    assert.equal(span.endTimeUnixNano, 1700000000000000000n)
    assert.deepStrictEqual(span.attributes.map((a) => a.value), [
      { kind: 'int', value: -(1n << 63n) }, { kind: 'int', value: 42n }, { kind: 'double', value: NaN }, { kind: 'double', value: 1500 },
      { kind: 'bool', value: false }, { kind: 'bytes', value: Buffer.from([0, 1, 255]) }, { kind: 'bytes', value: Buffer.from([0xfb, 0xff]) },
      { kind: 'array', value: [{ kind: 'string', value: 'x' }, { kind: 'empty' }] }, { kind: 'kvlist', value: [{ key: 'k', value: { kind: 'empty' } }] },
      { kind: 'empty' }, { kind: 'empty' }, { kind: 'int', value: 1n },
    ])
    assert.deepStrictEqual(span.events, [{ timeUnixNano: 5n, name: 'ev', attributes: [], droppedAttributesCount: 3 }])
    assert.equal(span.links[0]!.flags, 1)
    assert.deepStrictEqual(span.status, { code: 2, message: 'boom' })
    assert.equal(span.droppedLinksCount, 1)
    assert.equal(rs.scopeSpans[0]!.schemaUrl, 's')
  })

  it('accepts bytes (Uint8Array) input, an empty object, and the deprecated instrumentationLibrarySpans', () => {
    assert.deepStrictEqual(decodeTracesJson(Buffer.from('{}')), { resourceSpans: [] })
    const data = decodeTracesJson(new TextEncoder().encode(JSON.stringify({
      resourceSpans: [{ instrumentationLibrarySpans: [{ instrumentationLibrary: { name: 'old' }, spans: [{ name: 'x' }] }] }],
    })))
    assert.equal(data.resourceSpans[0]!.scopeSpans[0]!.scope!.name, 'old')
    assert.equal(data.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name, 'x')
  })

  it('rejects ids of the wrong length or not hex, with the JSON path', () => {
    assert.equal(decodeError(withSpan({ traceId: TRACE.slice(1) })).message, 'resourceSpans[0].scopeSpans[0].spans[3].traceId: must be 32 hex characters, got 31')
    assert.equal(decodeError(withSpan({ spanId: 'zz' + SPAN.slice(2) })).message, 'resourceSpans[0].scopeSpans[0].spans[3].spanId: must be hex, got "zza2a3a4a5a6a7a8"')
    assert.equal(decodeError(withSpan({ parentSpanId: 5 })).message, 'resourceSpans[0].scopeSpans[0].spans[3].parentSpanId: must be a hex string, got number 5')
    assert.equal(decodeError(withSpan({ links: [{}, { traceId: 'AAECAwQFBgcICQoLDA0ODw==' }] })).message,
      'resourceSpans[0].scopeSpans[0].spans[3].links[1].traceId: must be 32 hex characters, got 24')
  })

  it('rejects malformed integers, enums, doubles, bools and bytes', () => {
    const p = 'resourceSpans[0].scopeSpans[0].spans[3]'
    assert.equal(decodeError(withSpan({ startTimeUnixNano: '12.5' })).message, `${p}.startTimeUnixNano: must be an unsigned 64-bit integer (decimal string or number), got string "12.5"`)
    assert.match(decodeError(withSpan({ startTimeUnixNano: '-1' })).message, /startTimeUnixNano: must be an unsigned 64-bit integer/)
    assert.match(decodeError(withSpan({ endTimeUnixNano: '18446744073709551616' })).message, /endTimeUnixNano: must be an unsigned 64-bit integer/)
    assert.match(decodeError(withSpan({ endTimeUnixNano: 1.5 })).message, /endTimeUnixNano: must be an unsigned 64-bit integer/)
    assert.equal(decodeError(withSpan({ attributes: [{ key: 'a', value: { intValue: '9223372036854775808' } }] })).message,
      `${p}.attributes[0].value.intValue: must be a 64-bit integer (decimal string or number), got string "9223372036854775808"`)
    assert.match(decodeError(withSpan({ attributes: [{ key: 'a', value: { intValue: 'abc' } }] })).message, /attributes\[0\]\.value\.intValue: must be a 64-bit integer/)
    assert.equal(decodeError(withSpan({ kind: 'SERVER' })).message,
      `${p}.kind: unknown enum value "SERVER" (expected one of SPAN_KIND_UNSPECIFIED, SPAN_KIND_INTERNAL, SPAN_KIND_SERVER, SPAN_KIND_CLIENT, SPAN_KIND_PRODUCER, SPAN_KIND_CONSUMER or a number)`)
    assert.match(decodeError(withSpan({ status: { code: 'ERROR' } })).message, /spans\[3\]\.status\.code: unknown enum value "ERROR"/)
    assert.match(decodeError(withSpan({ kind: 1.5 })).message, /kind: must be an enum name or number, got number 1.5/)
    assert.match(decodeError(withSpan({ droppedAttributesCount: -1 })).message, /droppedAttributesCount: must be an unsigned 32-bit integer, got number -1/)
    assert.match(decodeError(withSpan({ flags: 2 ** 32 })).message, /flags: must be an unsigned 32-bit integer/)
    assert.match(decodeError(withSpan({ attributes: [{ key: 'a', value: { doubleValue: 'x' } }] })).message, /value\.doubleValue: must be a number/)
    assert.match(decodeError(withSpan({ attributes: [{ key: 'a', value: { boolValue: 'true' } }] })).message, /value\.boolValue: must be true or false, got string "true"/)
    assert.match(decodeError(withSpan({ attributes: [{ key: 'a', value: { bytesValue: 'a*b=' } }] })).message, /value\.bytesValue: must be a base64 string/)
    assert.match(decodeError(withSpan({ attributes: [{ key: 'a', value: { stringValue: 'x', intValue: '1' } }] })).message,
      /attributes\[0\]\.value: only one value may be set, got stringValue and intValue/)
    assert.match(decodeError(withSpan({ name: 5 })).message, /spans\[3\]\.name: must be a string, got number 5/)
  })

  it('rejects wrong shapes with the path', () => {
    assert.match(decodeError('{"resourceSpans": [').message, /^invalid JSON: /)
    assert.equal(decodeError('[]').message, 'request must be a JSON object, got an array')
    assert.equal(decodeError({ resourceSpans: {} }).message, 'resourceSpans: must be an array, got an object')
    assert.equal(decodeError({ resourceSpans: [5] }).message, 'resourceSpans[0]: must be an object, got number 5')
    assert.equal(decodeError({ resourceSpans: [{ resource: [] }] }).message, 'resourceSpans[0].resource: must be an object, got an array')
    assert.equal(decodeError({ resourceSpans: [{ scopeSpans: [{ spans: 'x' }] }] }).message, 'resourceSpans[0].scopeSpans[0].spans: must be an array, got string "x"')
    assert.equal(decodeError(withSpan({ attributes: [{ key: 'a', value: { arrayValue: { values: [{}, 7] } } }] })).message,
      'resourceSpans[0].scopeSpans[0].spans[3].attributes[0].value.arrayValue.values[1]: must be an object, got number 7')
    assert.equal(decodeError(withSpan({ status: 'ok' })).message, 'resourceSpans[0].scopeSpans[0].spans[3].status: must be an object, got string "ok"')
  })

  it('deep nesting is an OtlpDecodeError', () => {
    let v: unknown = { intValue: 1 }
    for (let i = 0; i < 500; i++) v = { arrayValue: { values: [v] } }
    assert.match(decodeError(withSpan({ attributes: [{ key: 'a', value: v }] })).message, /values nested deeper than 100$/)
  })

  it('random JSON documents: only OtlpDecodeError ever escapes', () => {
    const arbDoc = fc.oneof(
      fc.jsonValue(),
      fc.jsonValue().map((v) => ({ resourceSpans: [{ scopeSpans: [{ spans: [v] }] }] })),
      fc.jsonValue().map((v) => ({ resourceSpans: [{ scopeSpans: [{ spans: [{ attributes: [{ key: 'k', value: v }] }] }] }] })),
      fc.dictionary(fc.constantFrom('traceId', 'kind', 'startTimeUnixNano', 'status', 'events', 'links', 'attributes', 'flags'), fc.jsonValue())
        .map((span) => ({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] })),
    )
    fc.assert(fc.property(arbDoc, (doc) => {
      try {
        decodeTracesJson(JSON.stringify(doc))
      } catch (err) {
        if (!(err instanceof OtlpDecodeError)) throw err
      }
    }), { numRuns: 2000 })
    fc.assert(fc.property(fc.string(), (text) => {
      try {
        decodeTracesJson(text)
      } catch (err) {
        if (!(err instanceof OtlpDecodeError)) throw err
      }
    }), { numRuns: 500 })
  })
})
