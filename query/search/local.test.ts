import assert from 'node:assert/strict'
import { after, afterEach, before, beforeEach, describe, it } from 'node:test'
import type { KeyValue, Span } from '../../common/otlp/model.ts'
import { batch, makeSpan, tracesData } from '../../store/testing.ts'
import { createLocalSearch } from './local.ts'
import type { LocalBlocks } from './local.ts'
import { anyAttr, cond, fakeSearch, intrinsic, nothingSearch, resourceAttr, searchFixture, spanAttr } from './testing.ts'
import type { SearchFixture } from './testing.ts'
import type { CompiledSearch, LocalSearch, SearchRequest, TraceMatch } from './types.ts'

const T = 1_763_700_000_000_000_000n // the fixture clock's now, in ns
const MS = 1_000_000n
const everything = fakeSearch('{}', [])
const service = (name: string): CompiledSearch => fakeSearch(`{ resource.service.name = "${name}" }`, [[cond(resourceAttr('service.name'), '=', name)]])
const request = (fields: Partial<SearchRequest> = {}): SearchRequest => ({ query: '{}', window: {}, limit: 20, spss: 3, ...fields })
const ids = (traces: readonly TraceMatch[]): string[] => traces.map((t) => t.traceId.toString('hex').replace(/^0+/, ''))
const signal = (): AbortSignal => new AbortController().signal

/** A span of trace `trace` starting `startMs` after T, lasting `durMs`. */
function at (trace: string, span: string, startMs: number, durMs: number, fields: Partial<Span> = {}): Span {
  const start = T + BigInt(startMs) * MS
  return makeSpan(trace, span, { startTimeUnixNano: start, endTimeUnixNano: start + BigInt(durMs) * MS, ...fields })
}

describe('local search over memory', () => {
  let fx: SearchFixture
  let local: LocalSearch
  beforeEach(async () => {
    fx = await searchFixture()
    local = createLocalSearch({ store: fx.store, blocks: fx.blocks })
    // Pushed oldest first: t1 starts at +0 ms and lasts 10 ms, t2 at +100 ms for 20 ms, ...
    for (let i = 1; i <= 5; i++) fx.store.push('t', tracesData(batch(`svc${i % 2}`, [at(String(i), `${i}1`, i * 100 - 100, i * 10), at(String(i), `${i}2`, i * 100 - 100, 1)])))
  })
  afterEach(async () => { await fx.close() })

  it('finds every trace, newest first, and counts what it inspected', async () => {
    const res = await local.search('t', everything, request(), signal())
    assert.deepEqual(ids(res.traces), ['5', '4', '3', '2', '1'])
    assert.equal(res.traces[0]!.durationMs, 50)
    assert.equal(res.metrics.inspectedTraces, 5)
    assert.equal(res.metrics.inspectedSpans, 10n)
    assert.ok(res.metrics.inspectedBytes > 0n)
    assert.deepEqual([res.metrics.totalBlocks, res.metrics.totalJobs, res.metrics.completedJobs], [0, 0, 0])
    assert.deepEqual(ids((await local.search('other-tenant', everything, request(), signal())).traces), [])
  })

  it('applies the window (a span overlaps it), the duration bounds and the limit', async () => {
    const win = await local.search('t', everything, request({ window: { startUnixNano: T + 215n * MS, endUnixNano: T + 300n * MS } }), signal())
    assert.deepEqual(ids(win.traces), ['4', '3'], 't3 ends at +230 ms, t4 starts at +300 ms (inclusive)')
    const dur = await local.search('t', everything, request({ minDurationNanos: 20n * MS, maxDurationNanos: 40n * MS }), signal())
    assert.deepEqual(ids(dur.traces), ['4', '3', '2'])
    const two = await local.search('t', everything, request({ limit: 2 }), signal())
    assert.deepEqual(ids(two.traces), ['5', '4'], 'memory is read newest first, so the newest win')
    assert.ok(two.metrics.inspectedTraces <= 2)
    assert.deepEqual(ids((await local.search('t', service('svc1'), request(), signal())).traces), ['5', '3', '1'])
  })

  it('passes spss to the query and returns its span sets', async () => {
    const res = await local.search('t', everything, request({ spss: 1 }), signal())
    assert.deepEqual(res.traces[0]!.spanSets.map((s) => [s.spans.length, s.matched]), [[1, 2]])
  })

  it('rejects at once when aborted, with the signal\'s reason', async () => {
    const ctrl = new AbortController()
    ctrl.abort(new Error('client went away'))
    await assert.rejects(local.search('t', everything, request(), ctrl.signal), /client went away/)
    await assert.rejects(local.tagNames('t', { window: {} }, ctrl.signal), /client went away/)
    await assert.rejects(local.tagValues('t', { tag: { scope: 'resource', name: 'service.name' }, window: {}, limit: 5 }, ctrl.signal), /client went away/)
    const none = await local.search('t', nothingSearch(), request(), signal())
    assert.deepEqual([none.traces, none.metrics.inspectedTraces], [[], 0])
  })
})

describe('local search over memory and blocks', () => {
  let fx: SearchFixture
  let local: LocalSearch
  before(async () => {
    fx = await searchFixture()
    local = createLocalSearch({ store: fx.store, blocks: fx.blocks, maxConcurrency: 2 })
    // Trace 0xabc: a span of service a in partition 0's block, of b in partition 1's block, of c in memory.
    fx.store.push('t', tracesData(batch('a', [at('abc', '1', 0, 50, { parentSpanId: Buffer.alloc(0) })])))
    await fx.flush('t', 0)
    fx.store.push('t', tracesData(batch('b', [at('abc', '2', 10, 5, { parentSpanId: Buffer.from('0000000000000001', 'hex') })])))
    await fx.flush('t', 1)
    fx.store.push('t', tracesData(batch('c', [at('abc', '3', 20, 5, { parentSpanId: Buffer.from('0000000000000001', 'hex') })])))
    // Other traces: 10 in blocks (older), 3 in memory (newest).
    for (let i = 0; i < 10; i++) fx.store.push('t', tracesData(batch('a', [at(`b${i}`, '1', 100 + i, 1)])))
    await fx.flush('t', 0)
    await fx.blocks.cutBlocks(true)
    await fx.blocks.idle()
    for (let i = 0; i < 3; i++) fx.store.push('t', tracesData(batch('c', [at(`c${i}`, '1', 200 + i, 1)])))
    fx.store.push('t', tracesData(batch('c', [at('abc', '3', 20, 5, { parentSpanId: Buffer.from('0000000000000001', 'hex') })]))) // a duplicate span
  })
  after(async () => { await fx.close() })

  it('matches a trace split across memory and two blocks as one whole trace', async () => {
    const q = fakeSearch('{ resource.service.name = "a" } && { resource.service.name = "c" }', [[cond(resourceAttr('service.name'), '=', 'a')], [cond(resourceAttr('service.name'), '=', 'c')]])
    const res = await local.search('t', q, request(), signal())
    assert.deepEqual(ids(res.traces), ['abc'])
    const t = res.traces[0]!
    assert.deepEqual(t.serviceStats, { a: { spanCount: 1, errorCount: 0 }, b: { spanCount: 1, errorCount: 0 }, c: { spanCount: 1, errorCount: 0 } }, 'every piece, each span once')
    assert.equal(t.rootServiceName, 'a')
    assert.equal(t.durationMs, 50)
    assert.deepEqual(t.spanSets[0]!.spans.map((s) => s.spanId.toString('hex')), ['0000000000000001', '0000000000000003'])
    // Both halves in blocks: found by one block's scan, completed from the other block.
    const ab = fakeSearch('{a} && {b}', [[cond(resourceAttr('service.name'), '=', 'a')], [cond(resourceAttr('service.name'), '=', 'b')]])
    assert.deepEqual(ids((await local.search('t', ab, request(), signal())).traces), ['abc'])
  })

  it('reads memory, then blocks newest first; stops at the limit; one entry per trace', async () => {
    const all = await local.search('t', everything, request({ limit: 100 }), signal())
    assert.deepEqual(ids(all.traces), ['c2', 'c1', 'c0', ...Array.from({ length: 10 }, (_, i) => `b${9 - i}`), 'abc'])
    assert.equal(all.metrics.totalBlocks, fx.blocks.blocks('t').length)
    assert.equal(all.metrics.totalBlocks, 2)
    assert.deepEqual([all.metrics.completedJobs, all.metrics.totalJobs], [2, 2])
    assert.ok(all.metrics.totalBlockBytes > 0n && all.metrics.inspectedBytes > 0n)
    assert.equal(all.metrics.inspectedSpans, 5n + 12n, 'memory: c0..c2 and abc\'s piece of 2 spans; blocks: 11 + 1 rows')
    const few = await local.search('t', everything, request({ limit: 4 }), signal())
    assert.equal(few.traces.length, 4)
    assert.deepEqual(ids(few.traces).slice(0, 3), ['c2', 'c1', 'c0'])
    const svcA = await local.search('t', service('a'), request({ limit: 100 }), signal())
    assert.equal(svcA.traces.length, 11)
  })

  it('uses the window on the whole trace: a piece outside it still counts when another piece overlaps', async () => {
    const win = { startUnixNano: T + 20n * MS, endUnixNano: T + 22n * MS } // only abc's memory span overlaps
    const q = fakeSearch('{ resource.service.name = "c" && name = "span-3" }', [[cond(resourceAttr('service.name'), '=', 'c'), cond(intrinsic('name'), '=', 'span-3')]])
    assert.deepEqual(ids((await local.search('t', q, request({ window: win }), signal())).traces), ['abc'])
    assert.deepEqual(ids((await local.search('t', everything, request({ window: win, minDurationNanos: 50n * MS }), signal())).traces), ['abc'], 'trace duration spans every piece')
  })

  it('stops promptly when aborted during the block scan', async () => {
    const ctrl = new AbortController()
    const q: CompiledSearch = { query: '{}', prefilter: undefined, match: () => { ctrl.abort(new Error('timeout')); return null } }
    const started = performance.now()
    await assert.rejects(local.search('t', q, request(), ctrl.signal), /timeout/)
    assert.ok(performance.now() - started < 1000)
  })

  it('lists tag names per scope, from memory and blocks, within the window and under a filter', async () => {
    fx.store.push('t2', tracesData({
      resource: { attributes: [{ key: 'service.name', value: { kind: 'string', value: 'r' } }, { key: 'host.name', value: { kind: 'string', value: 'h' } }], droppedAttributesCount: 0 },
      scopeSpans: [{ scope: { name: 'lib', version: '2', attributes: [{ key: 'lib.attr', value: { kind: 'bool', value: true } }], droppedAttributesCount: 0 }, schemaUrl: '', spans: [
        at('d1', '1', 0, 1, { attributes: [kvs('http.method', 'GET')], events: [{ timeUnixNano: T, name: 'ev', attributes: [kvs('ev.attr', 'x')], droppedAttributesCount: 0 }] }),
        at('d1', '2', 0, 1, { links: [{ traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 1), traceState: '', attributes: [kvs('link.attr', 'y')], droppedAttributesCount: 0, flags: 0 }] }),
      ] }],
      schemaUrl: '',
    }))
    await fx.flush('t2')
    fx.store.push('t2', tracesData(batch('m', [at('d2', '1', 5000, 1, { attributes: [kvs('mem.only', 'z')] })])))
    const names = await local.tagNames('t2', { window: {} }, signal())
    const got = Object.fromEntries([...names].map(([s, n]) => [s, [...n].sort()]))
    assert.deepEqual(got.resource, ['host.name', 'service.name'])
    assert.deepEqual(got.span, ['http.method', 'mem.only'])
    assert.deepEqual(got.event, ['ev.attr'])
    assert.deepEqual(got.link, ['link.attr'])
    assert.deepEqual(got.instrumentation, ['lib.attr'])
    assert.ok(got.intrinsic!.includes('rootServiceName') && got.intrinsic!.includes('event:name'))
    const spanOnly = await local.tagNames('t2', { scope: 'span', window: { startUnixNano: T + 4000n * MS } }, signal())
    assert.deepEqual([...spanOnly].map(([s, n]) => [s, [...n]]), [['span', ['mem.only']]])
    const filtered = await local.tagNames('t2', { scope: 'span', window: {}, filter: fakeSearch('{ .http.method = "GET" }', [[cond(anyAttr('http.method'), '=', 'GET')]]) }, signal())
    assert.deepEqual([...filtered.get('span')!], ['http.method'], 'only the spans the filter matched')
    const bounded = createLocalSearch({ store: fx.store, blocks: fx.blocks, maxTagBytes: 5 })
    assert.ok([...(await bounded.tagNames('t2', { scope: 'span', window: {} }, signal())).get('span')!].length < 2)
  })

  it('lists typed tag values, intrinsics as Tempo does, at most limit, under a filter', async () => {
    const v = async (tag: Parameters<LocalSearch['tagValues']>[1]['tag'], extra: { limit?: number, filter?: CompiledSearch } = {}) =>
      (await local.tagValues('t', { tag, window: {}, limit: extra.limit ?? 100, ...(extra.filter === undefined ? {} : { filter: extra.filter }) }, signal())).map((x) => `${x.type}:${x.value}`)
    assert.deepEqual(await v({ scope: 'resource', name: 'service.name' }), ['string:a', 'string:b', 'string:c'])
    assert.deepEqual(await v({ scope: 'any', name: 'service.name' }), ['string:a', 'string:b', 'string:c'])
    assert.deepEqual(await v({ scope: 'intrinsic', name: 'status' }), ['keyword:ok', 'keyword:error', 'keyword:unset'])
    assert.deepEqual((await v({ scope: 'intrinsic', name: 'kind' })).length, 6)
    assert.deepEqual(await v({ scope: 'intrinsic', name: 'duration' }), [])
    assert.deepEqual(await v({ scope: 'intrinsic', name: 'rootServiceName' }), ['string:a', 'string:c'], 'b0..b9 and c0..c2 are roots too (no parent)')
    assert.deepEqual(await v({ scope: 'intrinsic', name: 'name' }), ['string:span-1', 'string:span-2', 'string:span-3'])
    assert.equal((await v({ scope: 'resource', name: 'service.name' }, { limit: 2 })).length, 2)
    assert.deepEqual(await v({ scope: 'resource', name: 'service.name' }, { filter: service('b') }), ['string:b'])
    assert.deepEqual(await v({ scope: 'intrinsic', name: 'rootName' }, { filter: service('b') }), ['string:span-1'], 'trace-level: the root of the matching trace')
  })
})

function kvs (key: string, value: string): KeyValue {
  return { key, value: { kind: 'string', value } }
}

describe('local search typed values from block columns', () => {
  let fx: SearchFixture
  before(async () => {
    fx = await searchFixture({ rowGroupRows: 4 })
    for (let i = 0; i < 12; i++) {
      fx.store.push('t', tracesData(batch(`svc${Math.floor(i / 4)}`, [at(`e${i}`, '1', i, 1, { attributes: [{ key: 'http.status_code', value: { kind: 'int', value: BigInt(200 + i) } }, { key: 'ratio', value: { kind: 'double', value: 0.5 } }, { key: 'ok', value: { kind: 'bool', value: true } }] })])))
    }
    await fx.flush('t')
  })
  after(async () => { await fx.close() })

  it('reads service names from the dedicated column\'s statistics and types ints, floats and bools', async () => {
    const read: (readonly string[] | null)[] = []
    const blocks: LocalBlocks = {
      blocks: (tenant) => fx.blocks.blocks(tenant),
      searchBlocks: (tenant, opts) => fx.blocks.searchBlocks(tenant, opts),
      scanBlockRows: (tenant, opts) => fx.blocks.scanBlockRows(tenant, { ...opts, columns: (g) => { const c = opts.columns(g); read.push(c); return c } }),
    }
    const local = createLocalSearch({ store: fx.store, blocks })
    const values = async (scope: 'resource' | 'span', name: string) => (await local.tagValues('t', { tag: { scope, name }, window: {}, limit: 100 }, signal())).map((x) => `${x.type}:${x.value}`)
    assert.deepEqual(await values('resource', 'service.name'), ['string:svc0', 'string:svc1', 'string:svc2'])
    assert.deepEqual(read, [null, null, null], 'one service per row group: known from statistics, nothing read')
    assert.equal((await values('span', 'http.status_code')).length, 12)
    assert.equal((await values('span', 'http.status_code'))[0], 'int:200')
    assert.deepEqual(await values('span', 'ratio'), ['float:0.5'])
    assert.deepEqual(await values('span', 'ok'), ['bool:true'])
    const win = await local.tagValues('t', { tag: { scope: 'span', name: 'http.status_code' }, window: { startUnixNano: T + 10n * MS + 1n }, limit: 100 }, signal())
    assert.deepEqual(win.map((x) => x.value), ['210', '211'], 'only spans overlapping the window (e9 ends at +10 ms)')
    const low = await local.search('t', fakeSearch('{ span.http.status_code < 202 }', [[cond(spanAttr('http.status_code'), '<', 202n)]]), request(), signal())
    assert.deepEqual(ids(low.traces), ['e1', 'e0'])
  })
})
