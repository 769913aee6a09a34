import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { UnavailableError } from '../../common/errors.ts'
import { ManualClock } from '../../test/fakes/clock.ts'
import { FakeLocalSearch, fakeCompile, match, metrics } from '../search/fakes.ts'
import { createNodeSearch } from '../search/node-answer.ts'
import { traceIdHex } from '../search/render.ts'
import type { SearchRequest, TagScope, TraceMatch } from '../search/types.ts'
import { decodeSearchRequest, decodeTagValuesRequest } from './search-protocol.ts'
import { ClusterSearcher } from './search-fanout.ts'
import type { ClusterSearchResult } from './search-fanout.ts'
import { FakePeers, advance, fakeView, owner, searchReply, tagNamesReply, tagValuesReply } from './testing.ts'
import type { PartitionOwner } from './types.ts'

const REQUEST: SearchRequest = { query: '{ .a = 1 }', window: { startUnixNano: 1n, endUnixNano: 2n }, limit: 3, spss: 2 }
const found = (...traces: TraceMatch[]) => ({ result: { traces, metrics: metrics({ inspectedTraces: traces.length, totalJobs: 1, completedJobs: 1 }) } })
const ids = (r: ClusterSearchResult) => r.result.traces.map((t) => traceIdHex(t.traceId))

function setup (table: Record<number, PartitionOwner[]>, opts: { selfId?: string, zone?: string, timeoutMs?: number } = {}) {
  const clock = new ManualClock()
  const peers = new FakePeers(clock)
  const local = new FakeLocalSearch()
  const readiness = { state: () => 'ready' as const, reason: () => '' }
  const searcher = new ClusterSearcher({
    view: fakeView(opts.selfId ?? 'self', opts.zone ?? 'a', table),
    ask: peers.ask,
    local: createNodeSearch({ localSearch: local, readiness }),
    clock,
    hedgeAfterMs: 100,
    timeoutMs: opts.timeoutMs ?? 30_000,
  })
  const t0 = clock.now()
  const at = (nodeId: string) => peers.asks.filter((a) => a.nodeId === nodeId).map((a) => a.at - t0)
  /** Starts a search and records when it settles. */
  const start = (request: SearchRequest = REQUEST, signal?: AbortSignal) => {
    const state: { result?: ClusterSearchResult, error?: unknown, at?: number } = {}
    const done = searcher.search(['t1', 't2'], fakeCompile(request.query), request, { signal }).then(
      (r) => { state.result = r; state.at = clock.now() - t0 },
      (e: unknown) => { state.error = e; state.at = clock.now() - t0 })
    return { state, done }
  }
  return { clock, peers, local, searcher, start, at }
}

describe('cluster search: one owner per partition, merged', () => {
  it('asks the preferred zone\'s owners; dedupes by trace id (first wins), newest first, cuts to the limit, sums the metrics', async () => {
    const { peers, start, clock } = setup({ 0: [owner('b-1', 'b'), owner('a-1', 'a')], 1: [owner('a-2', 'a'), owner('b-2', 'b')] })
    peers.set('a-1', searchReply(found(match('1', 10n, { rootTraceName: 'from a-1' }), match('2', 40n))))
      .set('a-2', searchReply(found(match('1', 10n, { rootTraceName: 'from a-2' }), match('3', 30n), match('4', 20n))))
    const q = start()
    await q.done
    assert.deepEqual(peers.asked().sort(), ['a-1', 'a-2'])
    assert.deepEqual(ids(q.state.result!), ['2', '3', '4'])
    const wide = start({ ...REQUEST, limit: 10 })
    await wide.done
    assert.deepEqual(ids(wide.state.result!), ['2', '3', '4', '1'])
    assert.equal(wide.state.result!.result.traces[3]?.rootTraceName, 'from a-1', 'the first answer (partition 0\'s) wins')
    assert.deepEqual(q.state.result!.result.metrics, metrics({ inspectedTraces: 5, totalJobs: 2, completedJobs: 2 }))
    assert.deepEqual(q.state.result!.missing, [])
    assert.equal(clock.pendingTimers, 0)
  })

  it('sends the tenants, the query text, the window, the duration bounds, the limit and spss', async () => {
    const { peers, start } = setup({ 0: [owner('a-1', 'a')] })
    let sent: ReturnType<typeof decodeSearchRequest> | undefined
    peers.set('a-1', { reply: (request) => { sent = decodeSearchRequest(request); return searchReply(found()).reply() } })
    await start({ ...REQUEST, minDurationNanos: 5n, maxDurationNanos: 9n }).done
    assert.deepEqual(sent, { tenants: ['t1', 't2'], query: '{ .a = 1 }', window: { startUnixNano: 1n, endUnixNano: 2n }, minDurationNanos: 5n, maxDurationNanos: 9n, limit: 3, spss: 2 })
  })

  it('answers this node\'s partitions from its own data, every tenant, once', async () => {
    const { peers, start, local } = setup({ 0: [owner('self', 'a')], 1: [owner('self', 'a'), owner('b-1', 'b')], 2: [owner('a-2', 'a')] })
    local.traces.set('t1', [match('1', 10n)])
    local.traces.set('t2', [match('2', 20n)])
    peers.set('a-2', searchReply(found(match('3', 5n))))
    const q = start()
    await q.done
    assert.deepEqual(local.calls.map((c) => [c.op, c.tenant]), [['search', 't1'], ['search', 't2']])
    assert.deepEqual(peers.asked(), ['a-2'])
    assert.deepEqual(ids(q.state.result!), ['2', '1', '3'])
  })

  it('asks a node owning several partitions once', async () => {
    const { peers, start } = setup({ 0: [owner('a-1', 'a')], 1: [owner('a-1', 'a')], 2: [owner('a-1', 'a'), owner('b-1', 'b')] })
    peers.set('a-1', searchReply(found(match('1', 1n))))
    const q = start()
    await q.done
    assert.deepEqual(peers.asked(), ['a-1'])
    assert.deepEqual(ids(q.state.result!), ['1'])
  })

  it('fails on an empty ring', async () => {
    const q = setup({}).start()
    await q.done
    assert.ok(q.state.error instanceof UnavailableError)
  })
})

describe('cluster search: hedging, failover, partial answers', () => {
  it('hedges to the other zone after hedgeAfterMs; the first answer wins and the slow owner is aborted', async () => {
    const { peers, start, clock, at } = setup({ 0: [owner('a-1', 'a'), owner('b-1', 'b')] })
    peers.set('a-1', 'hang').set('b-1', { ...searchReply(found(match('2', 2n))), afterMs: 30 })
    const q = start()
    await advance(clock, 200)
    assert.deepEqual(at('b-1'), [100])
    assert.equal(q.state.at, 130)
    assert.deepEqual(ids(q.state.result!), ['2'])
    assert.ok(peers.aborted('a-1'), 'the slow owner is aborted')
    assert.equal(clock.pendingTimers, 0)
  })

  it('asks the next owner at once when one fails, and treats an unreadable answer as a failure', async () => {
    const { peers, start, clock, at } = setup({ 0: [owner('a-1', 'a'), owner('b-1', 'b'), owner('c-1', 'c')] })
    peers.set('a-1', { fail: 'connection refused', afterMs: 20 }).set('b-1', { garbage: Buffer.from([1, 2, 0x7b]) }).set('c-1', searchReply(found(match('3', 3n))))
    const q = start()
    await advance(clock, 50)
    assert.deepEqual([at('b-1'), at('c-1')], [[20], [20]])
    assert.deepEqual(ids(q.state.result!), ['3'])
  })

  it('reports partitions whose owners all fail, with a reason per owner, and answers the rest', async () => {
    const { peers, start, clock } = setup({ 0: [owner('a-1', 'a'), owner('b-1', 'b', { healthy: false })], 1: [owner('a-2', 'a')], 2: [] })
    peers.set('a-1', { fail: 'live-store is stopping' }).set('b-1', { fail: 'not connected' }).set('a-2', searchReply(found(match('9', 9n))))
    const q = start()
    await advance(clock, 10)
    assert.deepEqual(ids(q.state.result!), ['9'])
    assert.deepEqual(q.state.result!.missing, [
      { partition: 0, reason: 'a-1: live-store is stopping, b-1: unhealthy here, asked anyway: not connected' },
      { partition: 2, reason: 'no owner in the ring' },
    ])
  })

  it('ends at the search deadline: partitions still waiting are missing, requests are aborted', async () => {
    const { peers, start, clock } = setup({ 0: [owner('a-1', 'a'), owner('b-1', 'b')], 1: [owner('a-2', 'a')] }, { timeoutMs: 1000 })
    peers.set('a-1', 'hang').set('b-1', 'hang').set('a-2', searchReply(found(match('2', 2n))))
    const q = start()
    await advance(clock, 1005)
    assert.equal(q.state.at, 1000)
    assert.deepEqual(q.state.result!.missing, [{ partition: 0, reason: 'a-1: no answer within 1s, b-1: no answer within 1s' }])
    assert.ok(peers.aborted('a-1') && peers.aborted('b-1'))
    assert.equal(clock.pendingTimers, 0)
  })

  it('stops when the caller aborts', async () => {
    const { peers, start, clock } = setup({ 0: [owner('a-1', 'a')] })
    peers.set('a-1', 'hang')
    const ac = new AbortController()
    const q = start(REQUEST, ac.signal)
    await advance(clock, 10)
    const reason = new Error('client went away')
    ac.abort(reason)
    await q.done
    assert.equal(q.state.error, reason)
    assert.ok(peers.aborted('a-1'))
  })

  it('marks answers from owners catching up', async () => {
    const { peers, start } = setup({ 0: [owner('a-1', 'a')], 1: [owner('a-1', 'a')] })
    peers.set('a-1', searchReply({ ...found(match('1', 1n)), incomplete: 'lag 12s' }))
    const q = start()
    await q.done
    assert.deepEqual(q.state.result!.incomplete, ['partitions 0, 1 from a-1: lag 12s'])
  })
})

describe('cluster tag names and values', () => {
  it('unites the tag names of every partition\'s owner', async () => {
    const { peers, searcher, local } = setup({ 0: [owner('self', 'a')], 1: [owner('a-2', 'a')] })
    local.names.set('t1', new Map<TagScope, Set<string>>([['span', new Set(['x'])]]))
    peers.set('a-2', tagNamesReply({ scopes: new Map<TagScope, Set<string>>([['span', new Set(['y', 'x'])], ['resource', new Set(['service.name'])]]) }))
    const res = await searcher.tagNames(['t1'], { window: {} })
    assert.deepEqual([...res.scopes].map(([s, n]) => [s, [...n].sort()]), [['span', ['x', 'y']], ['resource', ['service.name']]])
    assert.deepEqual(res.missing, [])
  })

  it('unites tag values up to the limit, sorted, and sends the tag and filter', async () => {
    const { peers, searcher } = setup({ 0: [owner('a-1', 'a')], 1: [owner('a-2', 'a')] })
    let sent: ReturnType<typeof decodeTagValuesRequest> | undefined
    peers.set('a-1', tagValuesReply({ values: [{ type: 'string', value: 'c' }, { type: 'string', value: 'a' }] }))
      .set('a-2', { reply: (r) => { sent = decodeTagValuesRequest(r); return tagValuesReply({ values: [{ type: 'string', value: 'b' }, { type: 'string', value: 'a' }] }).reply() } })
    const res = await searcher.tagValues(['t1'], { tag: { scope: 'resource', name: 'service.name' }, window: {}, filter: fakeCompile('{ .k = 1 }'), limit: 2 })
    assert.deepEqual(res.values, [{ type: 'string', value: 'a' }, { type: 'string', value: 'b' }])
    assert.deepEqual(sent, { tenants: ['t1'], tag: { scope: 'resource', name: 'service.name' }, window: {}, query: '{ .k = 1 }', limit: 2 })
  })
})
