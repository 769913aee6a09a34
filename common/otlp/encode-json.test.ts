import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeTracesJson } from './decode-json.ts'
import { encodeTracesJson } from './encode-json.ts'
import { span, traces } from './testing/model-fixture.ts'

const full = traces([
  span({
    parentSpanId: Buffer.from('b1b2b3b4b5b6b7b8', 'hex'),
    kind: 2,
    flags: 257,
    traceState: 'a=b',
    attributes: [
      { key: 's', value: { kind: 'string', value: 'x' } },
      { key: 'i', value: { kind: 'int', value: 5n } },
      { key: 'z', value: { kind: 'int', value: 0n } },
      { key: 'b', value: { kind: 'bool', value: true } },
      { key: 'd', value: { kind: 'double', value: 1.5 } },
      { key: 'nan', value: { kind: 'double', value: NaN } },
      { key: 'a', value: { kind: 'array', value: [{ kind: 'string', value: 'y' }, { kind: 'empty' }] } },
      { key: 'kv', value: { kind: 'kvlist', value: [{ key: 'k', value: { kind: 'bool', value: false } }] } },
      { key: 'by', value: { kind: 'bytes', value: Buffer.from([0, 1, 255]) } },
    ],
    events: [{ timeUnixNano: 1700000000100000000n, name: 'ev', attributes: [], droppedAttributesCount: 0 }],
    links: [{ traceId: Buffer.from('ffffffffffffffffffffffffffffffff', 'hex'), spanId: Buffer.from('0000000000000001', 'hex'), traceState: '', attributes: [], droppedAttributesCount: 2, flags: 0 }],
    status: { code: 2, message: 'boom' },
  }),
  span({ spanId: Buffer.from('c1c2c3c4c5c6c7c8', 'hex'), name: 'child', startTimeUnixNano: 0n, endTimeUnixNano: 0n }),
])

const attrs = '"attributes":[{"key":"s","value":{"stringValue":"x"}},{"key":"i","value":{"intValue":"5"}},{"key":"z","value":{"intValue":"0"}},' +
  '{"key":"b","value":{"boolValue":true}},{"key":"d","value":{"doubleValue":1.5}},{"key":"nan","value":{"doubleValue":"NaN"}},' +
  '{"key":"a","value":{"arrayValue":{"values":[{"stringValue":"y"},{}]}}},{"key":"kv","value":{"kvlistValue":{"values":[{"key":"k","value":{"boolValue":false}}]}}},' +
  '{"key":"by","value":{"bytesValue":"AAH/"}}]'

describe('encodeTracesJson', () => {
  it('tempo dialect: base64 ids, enum names, zero values omitted, "batches"', () => {
    assert.equal(encodeTracesJson(full, { dialect: 'tempo', topLevelKey: 'batches' }),
      '{"batches":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeSpans":[{"scope":{"name":"lib"},"spans":[' +
      '{"traceId":"AQIDBAUGBwgJCgsMDQ4PEA==","spanId":"oaKjpKWmp6g=","traceState":"a=b","parentSpanId":"sbKztLW2t7g=","flags":257,"name":"GET /api",' +
      '"kind":"SPAN_KIND_SERVER","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000500000000",' + attrs + ',' +
      '"events":[{"timeUnixNano":"1700000000100000000","name":"ev"}],' +
      '"links":[{"traceId":"/////////////////////w==","spanId":"AAAAAAAAAAE=","droppedAttributesCount":2}],' +
      '"status":{"message":"boom","code":"STATUS_CODE_ERROR"}},' +
      '{"traceId":"AQIDBAUGBwgJCgsMDQ4PEA==","spanId":"wcLDxMXGx8g=","name":"child","status":{}}]}]}]}')
  })

  it('otlp dialect: hex ids, enums as numbers, int64 as strings, "resourceSpans" by default', () => {
    const text = encodeTracesJson(full, { dialect: 'otlp' })
    assert.equal(text,
      '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeSpans":[{"scope":{"name":"lib"},"spans":[' +
      '{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"a1a2a3a4a5a6a7a8","traceState":"a=b","parentSpanId":"b1b2b3b4b5b6b7b8","flags":257,"name":"GET /api",' +
      '"kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000500000000",' + attrs + ',' +
      '"events":[{"timeUnixNano":"1700000000100000000","name":"ev"}],' +
      '"links":[{"traceId":"ffffffffffffffffffffffffffffffff","spanId":"0000000000000001","droppedAttributesCount":2}],' +
      '"status":{"message":"boom","code":2}},' +
      '{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"c1c2c3c4c5c6c7c8","name":"child","status":{}}]}]}]}')
    // And it is valid OTLP/JSON that decodes back to the same model.
    assert.deepStrictEqual(decodeTracesJson(text), full)
    assert.equal(encodeTracesJson(full), text)
  })

  it('tempo: an unknown enum value is written as its number; null resource and scope are omitted; empty request', () => {
    const data = traces([span({ kind: 9, status: { code: 7, message: '' } })])
    data.resourceSpans[0]!.resource = null
    data.resourceSpans[0]!.scopeSpans[0]!.scope = null
    const text = encodeTracesJson(data, { dialect: 'tempo' })
    assert.match(text, /^\{"resourceSpans":\[\{"scopeSpans":\[\{"spans":\[\{.*"kind":9,.*"status":\{"code":7\}\}\]\}\]\}\]\}$/)
    assert.equal(encodeTracesJson({ resourceSpans: [] }, { dialect: 'tempo', topLevelKey: 'batches' }), '{"batches":[]}')
  })

  it('strings are JSON-escaped', () => {
    const text = encodeTracesJson(traces([span({ name: 'a"b\\c\n😀\u0001' })]), { dialect: 'tempo' })
    assert.equal((JSON.parse(text) as { resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[] }).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name, 'a"b\\c\n😀\u0001')
  })
})
