import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import type { AnyValue, SpanEvent, SpanLink } from '../../common/otlp/model.ts'
import { arbAttributes } from '../testing/arbitraries.ts'
import { decodeEvents, decodeKeyValueList, decodeLinks, encodeEvents, encodeKeyValueList, encodeLinks } from './values.ts'

describe('serialized attribute, event and link columns', () => {
  it('round-trips any attribute list exactly', () => {
    fc.assert(fc.property(arbAttributes, (attrs) => {
      assert.deepStrictEqual(decodeKeyValueList(encodeKeyValueList(attrs)), attrs)
    }), { numRuns: 300 })
  })

  it('keeps edge values: int64 extremes, -0, empty vs empty string, nesting', () => {
    const values: AnyValue[] = [
      { kind: 'int', value: -(1n << 63n) }, { kind: 'int', value: (1n << 63n) - 1n }, { kind: 'int', value: (1n << 53n) + 1n },
      { kind: 'double', value: -0 }, { kind: 'double', value: Infinity }, { kind: 'string', value: '' }, { kind: 'empty' },
      { kind: 'bool', value: false }, { kind: 'bytes', value: Buffer.alloc(0) }, { kind: 'array', value: [] },
      { kind: 'kvlist', value: [{ key: 'a', value: { kind: 'array', value: [{ kind: 'empty' }, { kind: 'string', value: 'x'.repeat(300) }] } }] },
    ]
    const attrs = values.map((value, i) => ({ key: `k${i}`, value }))
    assert.deepStrictEqual(decodeKeyValueList(encodeKeyValueList(attrs)), attrs)
  })

  it('round-trips events and links, and writes empty lists as zero bytes', () => {
    const events: SpanEvent[] = [{ timeUnixNano: (1n << 64n) - 1n, name: 'exception', attributes: [{ key: 'a', value: { kind: 'int', value: 1n } }], droppedAttributesCount: 3 }, { timeUnixNano: 0n, name: '', attributes: [], droppedAttributesCount: 0 }]
    const links: SpanLink[] = [{ traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2), traceState: 'k=v', attributes: [], droppedAttributesCount: 0xffffffff, flags: 0xffffffff }]
    assert.deepStrictEqual(decodeEvents(encodeEvents(events)), events)
    assert.deepStrictEqual(decodeLinks(encodeLinks(links)), links)
    assert.equal(encodeEvents([]).length, 0)
    assert.equal(encodeLinks([]).length, 0)
    assert.equal(encodeKeyValueList([]).length, 0)
  })

  it('writes standard OTLP protobuf (KeyValueList field 1, AnyValue string field 1)', () => {
    const bytes = encodeKeyValueList([{ key: 'a', value: { kind: 'string', value: 'b' } }])
    assert.equal(bytes.toString('hex'), '0a080a016112030a0162')
  })
})
