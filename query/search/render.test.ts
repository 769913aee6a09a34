import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { mergeSearchResults, mergeTagNames, mergeTagValues } from './merge.ts'
import { byCodePoint, searchResponseJson, spanIdHex, tagNamesV1Json, tagNamesV2Json, tagValuesV1Json, tagValuesV2Json, traceIdHex } from './render.ts'
import { match, metrics } from './fakes.ts'
import type { TagScope } from './types.ts'

describe('search JSON (Tempo SearchResponse, gogo jsonpb)', () => {
  it('renders the golden answer: trimmed trace id, strings for 64-bit values, the first span set twice, zeros left out', () => {
    const t = match('0f3e0cee77ae5dc9c17ade3689eb2e54', 1_700_000_000_000_000_000n, {
      rootServiceName: 'svc',
      rootTraceName: 'GET /x',
      durationMs: 12,
      spanSets: [{
        spans: [
          { spanId: Buffer.from('00000000000000ab', 'hex'), name: 'db', startTimeUnixNano: 1_700_000_000_000_000_001n, durationNanos: 5_000n, attributes: [{ key: 'http.status_code', value: { kind: 'int', value: 200n } }] },
          { spanId: Buffer.from('0102030405060708', 'hex'), name: '', startTimeUnixNano: 0n, durationNanos: 0n, attributes: [] },
        ],
        matched: 3,
        attributes: [{ key: 'count()', value: { kind: 'double', value: 1.5 } }],
      }, { spans: [], matched: 0, attributes: [] }],
      serviceStats: { svc: { spanCount: 5, errorCount: 1 }, api: { spanCount: 2, errorCount: 0 } },
    })
    const json = searchResponseJson({ traces: [t], metrics: metrics({ inspectedTraces: 10, inspectedBytes: 12_345n, completedJobs: 1, totalJobs: 1 }) })
    const span1 = '{"spanID":"00000000000000ab","name":"db","startTimeUnixNano":"1700000000000000001","durationNanos":"5000","attributes":[{"key":"http.status_code","value":{"intValue":"200"}}]}'
    const span2 = '{"spanID":"0102030405060708"}'
    const set = `{"spans":[${span1},${span2}],"matched":3,"attributes":[{"key":"count()","value":{"doubleValue":1.5}}]}`
    assert.equal(json, '{"traces":[{"traceID":"f3e0cee77ae5dc9c17ade3689eb2e54","rootServiceName":"svc","rootTraceName":"GET /x",' +
      `"startTimeUnixNano":"1700000000000000000","durationMs":12,"spanSet":${set},"spanSets":[${set},{}],` +
      '"serviceStats":{"api":{"spanCount":2},"svc":{"spanCount":5,"errorCount":1}}}],' +
      '"metrics":{"inspectedTraces":10,"inspectedBytes":"12345","completedJobs":1,"totalJobs":1}}')
    assert.doesNotThrow(() => JSON.parse(json))
  })

  it('leaves out a zero duration, empty names, absent span sets and stats; keeps an empty trace list', () => {
    const t = match('1', 5n, { rootServiceName: '<root span not yet received>', rootTraceName: '', durationMs: 0 })
    assert.equal(searchResponseJson({ traces: [t], metrics: metrics() }), '{"traces":[{"traceID":"1","rootServiceName":"<root span not yet received>","startTimeUnixNano":"5"}],"metrics":{}}')
    assert.equal(searchResponseJson({ traces: [], metrics: metrics() }), '{"traces":[],"metrics":{}}')
  })

  it('writes every metric in proto order', () => {
    const m = metrics({ inspectedTraces: 1, inspectedBytes: 2n, totalBlocks: 3, completedJobs: 4, totalJobs: 5, totalBlockBytes: 6n, inspectedSpans: 7n })
    assert.equal(searchResponseJson({ traces: [], metrics: m }),
      '{"traces":[],"metrics":{"inspectedTraces":1,"inspectedBytes":"2","totalBlocks":3,"completedJobs":4,"totalJobs":5,"totalBlockBytes":"6","inspectedSpans":"7"}}')
  })

  it('adds the partial fields after Tempo\'s', () => {
    assert.equal(searchResponseJson({ traces: [], metrics: metrics() }, { reason: 'partition 3 has no reachable owner (x)', missingPartitions: [3] }),
      '{"traces":[],"metrics":{},"status":"PARTIAL","message":"partition 3 has no reachable owner (x)","missingPartitions":[3]}')
    assert.equal(searchResponseJson({ traces: [], metrics: metrics() }, { reason: 'catching up' }), '{"traces":[],"metrics":{},"status":"PARTIAL","message":"catching up"}')
  })

  it('ids: the trace id without leading zeros, the span id padded to 16 hex digits', () => {
    assert.equal(traceIdHex(Buffer.from('000000000000000000000000000000ab', 'hex')), 'ab')
    assert.equal(spanIdHex(Buffer.from('00ab', 'hex')), '00000000000000ab')
    assert.equal(spanIdHex(Buffer.from('0102030405060708', 'hex')), '0102030405060708')
  })
})

describe('tag JSON', () => {
  const scopes = new Map<TagScope, Set<string>>([['span', new Set(['zeta', 'Alpha', 'beta'])], ['resource', new Set(['service.name'])], ['intrinsic', new Set(['name', 'status'])], ['event', new Set()]])

  it('v1: one sorted list of names (Go byte order, capitals first)', () => {
    assert.equal(tagNamesV1Json(new Map([['span', new Set(['zeta', 'Alpha', 'beta'])], ['resource', new Set(['service.name', 'beta'])]])),
      '{"tagNames":["Alpha","beta","service.name","zeta"],"metrics":{}}')
    assert.equal(tagNamesV1Json(new Map()), '{"tagNames":[],"metrics":{}}')
  })

  it('v2: one entry per scope with names, in Tempo\'s scope order', () => {
    assert.equal(tagNamesV2Json(scopes),
      '{"scopes":[{"name":"resource","tags":["service.name"]},{"name":"span","tags":["Alpha","beta","zeta"]},{"name":"intrinsic","tags":["name","status"]}],"metrics":{}}')
    assert.equal(tagNamesV2Json(new Map(), { reason: 'r' }), '{"scopes":[],"metrics":{},"status":"PARTIAL","message":"r"}')
  })

  it('values: v1 strings (each once), v2 typed', () => {
    const values = [{ type: 'int', value: '200' }, { type: 'string', value: '200' }, { type: 'string', value: 'a' }]
    assert.equal(tagValuesV1Json(values), '{"tagValues":["200","a"],"metrics":{}}')
    assert.equal(tagValuesV2Json(values), '{"tagValues":[{"type":"int","value":"200"},{"type":"string","value":"200"},{"type":"string","value":"a"}],"metrics":{}}')
  })

  it('orders strings by code point, as Go does', () => {
    assert.deepEqual(['\u{1F600}', '\uFF5E', 'b', 'B', ''].sort(byCodePoint), ['', 'B', 'b', '\uFF5E', '\u{1F600}'])
  })
})

describe('merging', () => {
  it('search: each trace once (first wins), newest first, cut to the limit, metrics summed', () => {
    const a = { traces: [match('1', 10n, { rootTraceName: 'first' }), match('2', 30n)], metrics: metrics({ inspectedTraces: 2, inspectedBytes: 5n, totalJobs: 1 }) }
    const b = { traces: [match('1', 10n, { rootTraceName: 'second' }), match('3', 20n), match('4', 5n)], metrics: metrics({ inspectedTraces: 3, inspectedBytes: 7n, totalJobs: 1 }) }
    const merged = mergeSearchResults([a, b], 3)
    assert.deepEqual(merged.traces.map((t) => [traceIdHex(t.traceId), t.rootTraceName]), [['2', 'GET /'], ['3', 'GET /'], ['1', 'first']])
    assert.deepEqual(merged.metrics, metrics({ inspectedTraces: 5, inspectedBytes: 12n, totalJobs: 2 }))
  })

  it('search: equal start times order by trace id', () => {
    assert.deepEqual(mergeSearchResults([{ traces: [match('b', 1n), match('a', 1n)], metrics: metrics() }], 5).traces.map((t) => traceIdHex(t.traceId)), ['a', 'b'])
  })

  it('tag names: the union per scope, cut per scope', () => {
    const merged = mergeTagNames([new Map([['span', new Set(['b', 'a'])]]), new Map([['span', new Set(['c'])], ['resource', new Set(['x'])]])], 2)
    assert.deepEqual([...merged].map(([s, n]) => [s, [...n]]), [['span', ['a', 'b']], ['resource', ['x']]])
  })

  it('tag values: the union by type and value, sorted, cut by count and bytes', () => {
    const merged = mergeTagValues([[{ type: 'string', value: 'b' }, { type: 'string', value: 'a' }], [{ type: 'string', value: 'a' }, { type: 'int', value: 'a' }]], 10)
    assert.deepEqual(merged, [{ type: 'int', value: 'a' }, { type: 'string', value: 'a' }, { type: 'string', value: 'b' }])
    assert.equal(mergeTagValues([merged], 2).length, 2)
    assert.equal(mergeTagValues([merged], 10, 'int'.length + 1 + 'string'.length + 1).length, 2)
  })
})
