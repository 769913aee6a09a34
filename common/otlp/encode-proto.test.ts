import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeTracesProto } from './decode-proto.ts'
import { encodeTracesProto, protoSizeOfSpan, protoSizeOfTracesData } from './encode-proto.ts'
import type { AnyValue } from './model.ts'
import { utf8Length } from './proto-writer.ts'
import { span, traces } from './testing/model-fixture.ts'

describe('encodeTracesProto', () => {
  it('writes canonical bytes for a minimal span (defaults omitted)', () => {
    const bytes = encodeTracesProto({ resourceSpans: [{ resource: null, scopeSpans: [{ scope: null, spans: [span({ startTimeUnixNano: 0n, endTimeUnixNano: 0n, name: '' })], schemaUrl: '' }], schemaUrl: '' }] })
    assert.equal(bytes.toString('hex'), '0a20' + '121e' + '121c' + '0a100102030405060708090a0b0c0d0e0f10' + '1208a1a2a3a4a5a6a7a8')
  })

  it('present-but-empty resource and scope are kept; an empty AnyValue is written as an empty message', () => {
    const data = traces([span({ attributes: [{ key: 'e', value: { kind: 'empty' } }, { key: 's', value: { kind: 'string', value: '' } }] })])
    data.resourceSpans[0]!.resource = { attributes: [], droppedAttributesCount: 0 }
    data.resourceSpans[0]!.scopeSpans[0]!.scope = { name: '', version: '', attributes: [], droppedAttributesCount: 0 }
    const bytes = encodeTracesProto(data)
    assert.deepStrictEqual(decodeTracesProto(bytes), data)
  })

  it('protoSizeOfSpan is the exact size of the encoded Span message', () => {
    const nested: AnyValue = { kind: 'array', value: [{ kind: 'kvlist', value: [{ key: 'ü', value: { kind: 'int', value: -1n } }] }, { kind: 'double', value: 2.5 }] }
    const spans = [
      span(),
      span({ name: 'x'.repeat(300), kind: -3, flags: 0xffffffff, attributes: [{ key: 'n', value: nested }], status: { code: 1, message: '' } }),
      span({ traceState: '😀\ud800', events: [{ timeUnixNano: 1n, name: 'e', attributes: [{ key: 'b', value: { kind: 'bytes', value: Buffer.alloc(200) } }], droppedAttributesCount: 1 }] }),
    ]
    for (const s of spans) {
      const withSpan = encodeTracesProto({ resourceSpans: [{ resource: null, scopeSpans: [{ scope: null, spans: [s], schemaUrl: '' }], schemaUrl: '' }] })
      const size = protoSizeOfSpan(s)
      // resource_spans tag+len, scope_spans tag+len, spans tag+len, then the span.
      const lenBytes = (n: number): number => n < 128 ? 1 : n < 16384 ? 2 : 3
      const scopeBody = 1 + lenBytes(size) + size
      const rsBody = 1 + lenBytes(scopeBody) + scopeBody
      assert.equal(withSpan.length, 1 + lenBytes(rsBody) + rsBody)
      assert.equal(protoSizeOfTracesData(decodeTracesProto(withSpan)), withSpan.length)
    }
  })

  it('utf8Length matches Buffer.byteLength, lone surrogates included', () => {
    for (const s of ['', 'abc', 'é', '€', '😀', '\ud800', '\udc00x', 'a\ud800\udc00b', '\ud800\ud800', 'x'.repeat(100) + '😀']) {
      assert.equal(utf8Length(s), Buffer.byteLength(s), JSON.stringify(s))
    }
  })
})
