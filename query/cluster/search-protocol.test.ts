import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { InvalidArgumentError, NotReadyError } from '../../common/errors.ts'
import type { ReadinessState } from '../../common/readiness.ts'
import type { SearchAnswer } from '../search/node-answer.ts'
import type { TagScope } from '../search/types.ts'
import { FakeLocalSearch, fakeCompile, match, metrics } from '../search/fakes.ts'
import type { TraceFinder } from '../app.ts'
import { QueryProtocolError } from './errors.ts'
import { createInternalQueryHandler } from './handler.ts'
import { decodeTraceByIdResponse, encodeTraceByIdRequest, peekOp } from './protocol.ts'
import {
  decodeSearchRequest, decodeSearchResponse, decodeTagNamesRequest, decodeTagNamesResponse, decodeTagValuesRequest, decodeTagValuesResponse,
  encodeSearchRequest, encodeSearchResponse, encodeTagNamesRequest, encodeTagNamesResponse, encodeTagValuesRequest, encodeTagValuesResponse,
} from './search-protocol.ts'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
/** The envelope (version, op) in hex, then the JSON body as text. */
const split = (b: Uint8Array) => [hex(b.subarray(0, 2)), Buffer.from(b.subarray(2)).toString('utf8')]
const protocolError = (pattern: RegExp) => (err: unknown) => err instanceof QueryProtocolError && pattern.test(err.message)

const answer: SearchAnswer = {
  incomplete: 'replaying',
  result: {
    traces: [match('0102030405060708090a0b0c0d0e0f10', 1_700_000_000_000_000_000n, {
      durationMs: 12,
      spanSets: [{
        spans: [{ spanId: Buffer.from('a1a2a3a4a5a6a7a8', 'hex'), name: 'db', startTimeUnixNano: 1_700_000_000_000_000_001n, durationNanos: 5n, attributes: [{ key: 'k', value: { kind: 'int', value: 7n } }] }],
        matched: 4,
        attributes: [{ key: 'count()', value: { kind: 'double', value: 2 } }],
      }],
      serviceStats: { svc: { spanCount: 3, errorCount: 1 } },
    })],
    metrics: metrics({ inspectedTraces: 9, inspectedBytes: 2n ** 63n, completedJobs: 1, totalJobs: 1 }),
  },
}

describe('internal query protocol v1, search operations: golden bytes', () => {
  it('pins a search request (op 2)', () => {
    const bytes = encodeSearchRequest({ tenants: ['a', 'b'], query: '{ .x = "y" }', window: { startUnixNano: 1n, endUnixNano: 2n }, minDurationNanos: 3n, maxDurationNanos: 4n, limit: 20, spss: 3 })
    assert.deepEqual(split(bytes), ['0102', '{"tenants":["a","b"],"query":"{ .x = \\"y\\" }","start":"1","end":"2","minDuration":"3","maxDuration":"4","limit":20,"spss":3}'])
    assert.equal(peekOp(bytes), 2)
    assert.deepEqual(split(encodeSearchRequest({ tenants: ['t'], query: '{}', window: {}, limit: 1, spss: 1 })), ['0102', '{"tenants":["t"],"query":"{}","limit":1,"spss":1}'])
  })

  it('pins tag names (op 3) and tag values (op 4) requests', () => {
    assert.deepEqual(split(encodeTagNamesRequest({ tenants: ['t'], scope: 'span', window: { endUnixNano: 9n }, query: '{}' })), ['0103', '{"tenants":["t"],"scope":"span","end":"9","query":"{}"}'])
    assert.deepEqual(split(encodeTagNamesRequest({ tenants: ['t'], window: {} })), ['0103', '{"tenants":["t"]}'])
    assert.deepEqual(split(encodeTagValuesRequest({ tenants: ['t'], tag: { scope: 'resource', name: 'service.name' }, window: {}, limit: 100 })),
      ['0104', '{"tenants":["t"],"tag":{"scope":"resource","name":"service.name"},"limit":100}'])
  })

  it('pins the responses', () => {
    assert.deepEqual(split(encodeSearchResponse(answer)), ['0102',
      '{"incomplete":"replaying","traces":[{"traceId":"0102030405060708090a0b0c0d0e0f10","rootServiceName":"svc","rootTraceName":"GET /",' +
      '"start":"1700000000000000000","durationMs":12,"spanSets":[{"spans":[{"spanId":"a1a2a3a4a5a6a7a8","name":"db","start":"1700000000000000001",' +
      '"duration":"5","attributes":"CgcKAWsSAhgH"}],"matched":4,"attributes":"ChQKB2NvdW50KCkSCSEAAAAAAAAAQA=="}],"serviceStats":{"svc":[3,1]}}],' +
      '"metrics":{"inspectedTraces":9,"inspectedBytes":"9223372036854775808","inspectedSpans":"0","totalBlocks":0,"completedJobs":1,"totalJobs":1,"totalBlockBytes":"0"}}'])
    assert.deepEqual(split(encodeTagNamesResponse({ scopes: new Map([['span', new Set(['a', 'b'])], ['resource', new Set(['r'])], ['event', new Set()]]) })),
      ['0103', '{"scopes":{"resource":["r"],"span":["a","b"]}}'])
    assert.deepEqual(split(encodeTagValuesResponse({ values: [{ type: 'string', value: 'a' }], incomplete: 'x' })), ['0104', '{"incomplete":"x","values":[{"type":"string","value":"a"}]}'])
  })
})

describe('internal query protocol v1, search operations: round trips', () => {
  it('round-trips every request', () => {
    const search = { tenants: ['a', 'x'.repeat(150)], query: '{ résumé = "🚀" }', window: { startUnixNano: 0n, endUnixNano: 2n ** 64n - 1n }, minDurationNanos: 0n, limit: 262_144, spss: 100 }
    assert.deepEqual(decodeSearchRequest(encodeSearchRequest(search)), search)
    const names = { tenants: ['t'], scope: 'intrinsic' as const, window: {}, query: '{ .a = 1 }' }
    assert.deepEqual(decodeTagNamesRequest(encodeTagNamesRequest(names)), names)
    const values = { tenants: ['t'], tag: { scope: 'any' as const, name: 'http.method' }, window: { startUnixNano: 5n }, limit: 1 }
    assert.deepEqual(decodeTagValuesRequest(encodeTagValuesRequest(values)), values)
  })

  it('round-trips every response, an empty one and a service called __proto__ included', () => {
    assert.deepEqual(decodeSearchResponse(encodeSearchResponse(answer)), answer)
    const odd: SearchAnswer = { result: { traces: [match('ff', 1n, { serviceStats: JSON.parse('{"__proto__":{"spanCount":1,"errorCount":0}}') as Record<string, { spanCount: number, errorCount: number }> })], metrics: metrics() } }
    const back = decodeSearchResponse(encodeSearchResponse(odd))
    assert.deepEqual(Object.keys(back.result.traces[0]!.serviceStats), ['__proto__'])
    assert.deepEqual(decodeSearchResponse(encodeSearchResponse({ result: { traces: [], metrics: metrics() } })), { result: { traces: [], metrics: metrics() } })
    const names = { scopes: new Map<TagScope, Set<string>>([['resource', new Set(['r'])], ['span', new Set(['a', 'b'])]]) }
    assert.deepEqual(decodeTagNamesResponse(encodeTagNamesResponse(names)), names)
    const values = { values: [{ type: 'int', value: '1' }], incomplete: 'catching up' }
    assert.deepEqual(decodeTagValuesResponse(encodeTagValuesResponse(values)), values)
  })

  it('cuts an overlong incomplete reason', () => {
    const back = decodeTagValuesResponse(encodeTagValuesResponse({ values: [], incomplete: 'é'.repeat(5000) }))
    assert.equal(back.incomplete?.length, 1024)
  })
})

describe('internal query protocol v1, search operations: bad input', () => {
  const body = (op: number, json: string) => Buffer.concat([Buffer.from([1, op]), Buffer.from(json)])
  const good = '{"tenants":["t"],"query":"{}","limit":1,"spss":1}'
  const badRequests: [string, Uint8Array, RegExp][] = [
    ['an empty message', new Uint8Array(), /search request: empty message/],
    ['another version', Buffer.from([2, 2]), /unsupported internal query protocol version 2/],
    ['another operation', body(3, good), /search request: unknown internal query operation 3/],
    ['no JSON', body(2, 'nope'), /search request: body is not JSON/],
    ['invalid UTF-8', Buffer.concat([Buffer.from([1, 2]), Buffer.from([0xff])]), /body is not valid UTF-8/],
    ['an array', body(2, '[]'), /search request: expected an object/],
    ['a missing key', body(2, '{"tenants":["t"],"limit":1,"spss":1}'), /search request: missing query/],
    ['an unknown key', body(2, good.slice(0, -1) + ',"x":1}'), /search request: unknown key "x"/],
    ['no tenant', body(2, good.replace('["t"]', '[]')), /search request.tenants: must hold 1..255 tenants, has 0/],
    ['a bad tenant', body(2, good.replace('["t"]', '["a/b"]')), /search request.tenants\[0\]: tenant ID 'a\/b' contains unsupported character/],
    ['a limit of 0', body(2, good.replace('"limit":1', '"limit":0')), /search request.limit: expected an integer in 1..262144/],
    ['spss above 100', body(2, good.replace('"spss":1', '"spss":101')), /search request.spss: expected an integer in 1..100/],
    ['a number for a uint64', body(2, good.slice(0, -1) + ',"start":5}'), /search request.start: expected a string/],
    ['a uint64 out of range', body(2, good.slice(0, -1) + ',"start":"18446744073709551616"}'), /search request.start: expected a uint64/],
    ['a query too long', body(2, good.replace('"{}"', JSON.stringify('x'.repeat(16 * 1024 + 1)))), /search request.query: longer than 16384 bytes/],
  ]
  for (const [what, bytes, pattern] of badRequests) {
    it(`refuses a search request with ${what}`, () => assert.throws(() => decodeSearchRequest(bytes), protocolError(pattern)))
  }

  it('refuses bad tag requests', () => {
    assert.throws(() => decodeTagNamesRequest(body(3, '{"tenants":["t"],"scope":"spam"}')), protocolError(/tag names request.scope: unknown value "spam"/))
    assert.throws(() => decodeTagValuesRequest(body(4, '{"tenants":["t"],"tag":{"scope":"span"},"limit":1}')), protocolError(/tag values request.tag: missing name/))
  })

  const resp = encodeSearchResponse(answer).toString('utf8', 2)
  const badResponses: [string, string, RegExp][] = [
    ['a short trace id', resp.replace('0102030405060708090a0b0c0d0e0f10', ''), /traces\[0\].traceId: expected 1..16 bytes of lower-case hex/],
    ['upper-case hex', resp.replace('a1a2a3a4a5a6a7a8', 'A1A2A3A4A5A6A7A8'), /traces\[0\].spanSets\[0\].spans\[0\].spanId: expected 0..16 bytes/],
    ['bad base64', resp.replace('CgcKAWsSAhgH', '!!!!'), /spans\[0\].attributes: expected base64/],
    ['bad attributes', resp.replace('CgcKAWsSAhgH', 'CgcK'), /spans\[0\].attributes: bad attributes/],
    ['a negative count', resp.replace('"matched":4', '"matched":-1'), /spanSets\[0\].matched: expected an integer in 0..4294967295/],
    ['a broken pair', resp.replace('[3,1]', '[3]'), /serviceStats.svc: expected a pair/],
    ['a missing metric', resp.replace('"totalJobs":1,', ''), /search response.metrics: missing totalJobs/],
  ]
  for (const [what, json, pattern] of badResponses) {
    it(`refuses a search response with ${what}`, () => assert.throws(() => decodeSearchResponse(body(2, json)), protocolError(pattern)))
  }

  it('refuses bad tag responses and responses above the limit', () => {
    assert.throws(() => decodeTagNamesResponse(body(3, '{"scopes":{"spam":["a"]}}')), protocolError(/tag names response.scopes: unknown key "spam"/))
    assert.throws(() => decodeTagValuesResponse(body(4, '{"values":[{"type":"string","value":1}]}')), protocolError(/values\[0\].value: expected a string/))
    const limits = { maxRequestBytes: 64, maxResponseBytes: 64 }
    assert.throws(() => encodeSearchResponse(answer, limits), protocolError(/response of \d+ bytes exceeds the limit of 64/))
    assert.throws(() => decodeSearchResponse(encodeSearchResponse(answer), limits), protocolError(/search response of \d+ bytes exceeds the limit of 64/))
  })

  it('answers a user error with a 400: too many tenants, a query too long', () => {
    assert.throws(() => encodeSearchRequest({ tenants: Array.from({ length: 256 }, (_, i) => `t${i}`), query: '{}', window: {}, limit: 1, spss: 1 }), InvalidArgumentError)
    assert.throws(() => encodeTagNamesRequest({ tenants: ['t'], window: {}, query: 'x'.repeat(20_000) }), InvalidArgumentError)
  })
})

describe('internal query handler: search operations', () => {
  const readiness = (state: ReadinessState = 'ready', reason = '') => ({ state: () => state, reason: () => reason })
  const finder: TraceFinder = { findTraceById: () => null }

  function setup (state: ReadinessState = 'ready', reason = '') {
    const local = new FakeLocalSearch()
    local.traces.set('a', [match('1', 10n), match('2', 30n)])
    local.traces.set('b', [match('3', 20n), match('1', 10n)])
    local.names.set('a', new Map([['span', new Set(['x'])]]))
    local.names.set('b', new Map([['span', new Set(['y'])], ['resource', new Set(['service.name'])]]))
    local.values.set('a', [{ type: 'string', value: 'v1' }])
    const handler = createInternalQueryHandler({ finder, readiness: readiness(state, reason), localSearch: local, compile: fakeCompile })
    return { local, handler }
  }

  it('answers a search for several tenants once, merged', async () => {
    const { handler, local } = setup()
    const res = decodeSearchResponse(await handler('peer', encodeSearchRequest({ tenants: ['a', 'b'], query: '{}', window: {}, limit: 2, spss: 3 })))
    assert.deepEqual(res.result.traces.map((t) => t.traceId.toString('hex').replace(/^0+/, '')), ['2', '3'])
    assert.equal(res.result.metrics.inspectedTraces, 4)
    assert.deepEqual(local.calls.map((c) => [c.op, c.tenant]), [['search', 'a'], ['search', 'b']])
  })

  it('answers tag names and tag values', async () => {
    const { handler } = setup()
    const names = decodeTagNamesResponse(await handler('peer', encodeTagNamesRequest({ tenants: ['a', 'b'], window: {} })))
    assert.deepEqual([...names.scopes].map(([s, n]) => [s, [...n]]), [['resource', ['service.name']], ['span', ['x', 'y']]])
    const values = decodeTagValuesResponse(await handler('peer', encodeTagValuesRequest({ tenants: ['a'], tag: { scope: 'any', name: 'k' }, window: {}, limit: 5 })))
    assert.deepEqual(values, { values: [{ type: 'string', value: 'v1' }] })
  })

  it('still answers trace by id', async () => {
    const { handler } = setup()
    const res = decodeTraceByIdResponse(await handler('peer', encodeTraceByIdRequest({ tenants: ['a'], traceId: Buffer.alloc(16, 1) })))
    assert.deepEqual(res, { trace: null })
  })

  it('says it is catching up, refuses while starting, and refuses a query it cannot compile', async () => {
    const catching = setup('catching-up', 'lag 3s').handler
    const res = decodeSearchResponse(await catching('peer', encodeSearchRequest({ tenants: ['a'], query: '{}', window: {}, limit: 2, spss: 3 })))
    assert.equal(res.incomplete, 'lag 3s')
    const starting = setup('starting').handler
    await assert.rejects(starting('peer', encodeTagNamesRequest({ tenants: ['a'], window: {} })), NotReadyError)
    await assert.rejects(setup().handler('peer', encodeSearchRequest({ tenants: ['a'], query: '{ nope', window: {}, limit: 2, spss: 3 })), InvalidArgumentError)
  })

  it('refuses search operations when it has no search, and unknown operations', async () => {
    const handler = createInternalQueryHandler({ finder, readiness: readiness() })
    await assert.rejects(handler('peer', encodeTagNamesRequest({ tenants: ['a'], window: {} })), protocolError(/operation 3 \(search\) is not served by this node/))
    await assert.rejects(handler('peer', Buffer.from([1, 9])), protocolError(/request: unknown internal query operation 9/))
  })
})
