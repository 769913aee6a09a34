import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { UnavailableError } from '../../common/errors.ts'
import { batch, makeSpan, spansOf, traceIdOf, tracesData } from '../../store/testing.ts'
import { ManualClock } from '../../test/fakes/clock.ts'
import { ClusterTraceFinder, orderCandidates } from './fanout.ts'
import { FakePeers, advance, answer, fakeView, flush, owner } from './testing.ts'
import type { ClusterTraceResult, ClusterView, LocalLookupFn, PartitionOwner } from './types.ts'

const ID = traceIdOf('abc')
const trace = (...spans: string[]) => tracesData(batch('svc', spans.map((s) => makeSpan('abc', s))))
const names = (r: ClusterTraceResult) => spansOf(r.trace).map((s) => s.name)

function setup (table: Record<number, PartitionOwner[]>, opts: { selfId?: string, zone?: string, local?: LocalLookupFn, hedgeAfterMs?: number, timeoutMs?: number } = {}) {
  const clock = new ManualClock()
  const peers = new FakePeers(clock)
  const localCalls: string[][] = []
  const local: LocalLookupFn = opts.local ?? (async (tenants) => { localCalls.push([...tenants]); return { trace: null } })
  const view: ClusterView = fakeView(opts.selfId ?? 'self', opts.zone ?? 'a', table)
  const finder = new ClusterTraceFinder({ view, ask: peers.ask, local, clock, hedgeAfterMs: opts.hedgeAfterMs ?? 100, timeoutMs: opts.timeoutMs ?? 10_000 })
  /** Starts a query and records when it settles. */
  const start = (signal?: AbortSignal) => {
    const state: { result?: ClusterTraceResult, error?: unknown, at?: number } = {}
    const done = finder.findTraceById(['t'], ID, { signal }).then(
      (r) => { state.result = r; state.at = clock.now() - t0 },
      (e: unknown) => { state.error = e; state.at = clock.now() - t0 })
    const t0 = clock.now()
    return { state, done }
  }
  const at = (nodeId: string) => peers.asks.filter((a) => a.nodeId === nodeId).map((a) => a.at - t00)
  const t00 = clock.now()
  return { clock, peers, finder, start, localCalls, at }
}

describe('cluster trace by id: one owner per partition', () => {
  it('asks one owner per partition, the preferred zone first, and merges the answers', async () => {
    const { peers, start, clock } = setup({
      0: [owner('b-1', 'b'), owner('a-1', 'a')],
      1: [owner('a-2', 'a'), owner('b-2', 'b')],
    })
    peers.set('a-1', answer(trace('1'))).set('a-2', answer(trace('2'))).set('b-1', answer(trace('9'))).set('b-2', answer(trace('9')))
    const q = start()
    await q.done
    assert.deepEqual(peers.asked().sort(), ['a-1', 'a-2'])
    assert.deepEqual(names(q.state.result!), ['span-1', 'span-2'])
    assert.deepEqual(q.state.result!.missing, [])
    assert.deepEqual(q.state.result!.incomplete, [])
    assert.deepEqual(peers.asks[0]?.tenants, ['t'])
    assert.equal(clock.pendingTimers, 0, 'hedge and deadline timers are cancelled')
  })

  it('fans out over many partitions without a MaxListenersExceededWarning', async () => {
    const table: Record<number, PartitionOwner[]> = {}
    for (let p = 0; p < 40; p++) table[p] = [owner(`a-${p % 3}`, 'a'), owner(`b-${p % 3}`, 'b')]
    const { peers, start } = setup(table)
    for (let n = 0; n < 3; n++) peers.set(`a-${n}`, answer(trace(String(n))))
    const warnings: string[] = []
    const onWarning = (w: Error): void => { warnings.push(w.name) }
    process.on('warning', onWarning)
    try {
      const q = start()
      await q.done
      await new Promise((resolve) => setImmediate(resolve)) // warnings are emitted on the next tick
      assert.deepEqual(q.state.result!.missing, [])
    } finally {
      process.off('warning', onWarning)
    }
    assert.deepEqual(warnings.filter((w) => w === 'MaxListenersExceededWarning'), [])
  })

  it('prefers the configured zone over the others, whatever the view order', async () => {
    const { peers, start } = setup({ 0: [owner('a-1', 'a'), owner('c-1', 'c'), owner('b-1', 'b')] }, { zone: 'b' })
    peers.set('b-1', answer(trace('1')))
    await start().done
    assert.deepEqual(peers.asked(), ['b-1'])
  })

  it('asks this node through the local lookup, never the network', async () => {
    const { peers, start, localCalls } = setup({ 0: [owner('self', 'a'), owner('b-1', 'b')], 1: [owner('a-2', 'a')] })
    peers.set('a-2', answer(null))
    await start().done
    assert.deepEqual(localCalls, [['t']])
    assert.deepEqual(peers.asked(), ['a-2'])
  })

  it('asks a node that owns several partitions once', async () => {
    const { peers, start } = setup({ 0: [owner('a-1', 'a')], 1: [owner('a-1', 'a')], 2: [owner('a-1', 'a'), owner('b-1', 'b')] })
    peers.set('a-1', answer(trace('1')))
    const q = start()
    await q.done
    assert.deepEqual(peers.asked(), ['a-1'])
    assert.deepEqual(names(q.state.result!), ['span-1'])
  })

  it('merges spans from several partitions and owners, each span once', async () => {
    const { peers, start, clock } = setup({ 0: [owner('a-1', 'a'), owner('b-1', 'b')], 1: [owner('a-2', 'a')], 2: [owner('a-3', 'a')] })
    peers.set('a-1', { fail: 'down' }).set('b-1', answer(trace('1', '2'))).set('a-2', answer(trace('2', '3'))).set('a-3', answer(null))
    const q = start()
    await advance(clock, 10)
    await q.done
    assert.deepEqual(names(q.state.result!), ['span-1', 'span-2', 'span-3'])
  })

  it('answers null when no owner holds the trace', async () => {
    const { peers, start } = setup({ 0: [owner('a-1', 'a')] })
    peers.set('a-1', answer(null))
    const q = start()
    await q.done
    assert.equal(q.state.result!.trace, null)
  })

  it('fails on an empty ring (no partition to ask)', async () => {
    const { start } = setup({})
    const q = start()
    await q.done
    assert.ok(q.state.error instanceof UnavailableError, 'an UnavailableError')
    assert.match((q.state.error as Error).message, /empty ring/)
  })
})

describe('cluster trace by id: hedging and failover', () => {
  it('asks the other zone after hedgeAfterMs when the first owner is slow; the first answer wins and the loser is aborted', async () => {
    const { peers, start, clock, at } = setup({ 0: [owner('a-1', 'a'), owner('b-1', 'b')] })
    peers.set('a-1', 'hang').set('b-1', { ...answer(trace('2')), afterMs: 30 })
    const q = start()
    await advance(clock, 95)
    assert.deepEqual(peers.asked(), ['a-1'])
    await advance(clock, 10)
    assert.deepEqual(at('b-1'), [100])
    await advance(clock, 40)
    assert.equal(q.state.at, 130)
    assert.deepEqual(names(q.state.result!), ['span-2'])
    assert.ok(peers.aborted('a-1'), 'the slow owner is aborted')
    assert.equal(clock.pendingTimers, 0)
  })

  it('lets the slow first owner win when it answers before the hedge', async () => {
    const { peers, start, clock } = setup({ 0: [owner('a-1', 'a'), owner('b-1', 'b')] })
    peers.set('a-1', { ...answer(trace('1')), afterMs: 150 }).set('b-1', 'hang')
    const q = start()
    await advance(clock, 200)
    assert.equal(q.state.at, 150)
    assert.deepEqual(names(q.state.result!), ['span-1'])
    assert.ok(peers.aborted('b-1'), 'b-1 aborted')
    assert.ok(!peers.aborted('a-1'), 'a-1 answered')
  })

  it('asks the next owner at once when one fails, and keeps hedging through the list', async () => {
    const { peers, start, clock, at } = setup({ 0: [owner('a-1', 'a'), owner('b-1', 'b'), owner('c-1', 'c')] })
    peers.set('a-1', { fail: 'connection refused', afterMs: 20 }).set('b-1', 'hang').set('c-1', { ...answer(trace('3')), afterMs: 50 })
    const q = start()
    await advance(clock, 300)
    assert.deepEqual(at('b-1'), [20], 'asked as soon as a-1 failed')
    assert.deepEqual(at('c-1'), [120], 'hedged hedgeAfterMs after b-1')
    assert.equal(q.state.at, 170)
    assert.deepEqual(names(q.state.result!), ['span-3'])
  })

  it('treats an answer it cannot decode as a failure', async () => {
    const { peers, start, clock, at } = setup({ 0: [owner('a-1', 'a'), owner('b-1', 'b')] })
    peers.set('a-1', { garbage: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]) }).set('b-1', answer(trace('1')))
    const q = start()
    await advance(clock, 5)
    assert.deepEqual(at('b-1'), [0])
    assert.deepEqual(names(q.state.result!), ['span-1'])
  })

  it('does not abort a node another partition still waits on', async () => {
    // b-1 is partition 1's only owner and partition 0's hedge; a-1 wins partition 0 first.
    const { peers, start, clock } = setup({ 0: [owner('a-1', 'a'), owner('b-1', 'b')], 1: [owner('b-1', 'b')] })
    peers.set('a-1', { ...answer(trace('1')), afterMs: 150 }).set('b-1', { ...answer(trace('2')), afterMs: 200 })
    const q = start()
    await advance(clock, 250)
    assert.deepEqual(peers.asked(), ['a-1', 'b-1'], 'b-1 asked once, for both partitions')
    assert.ok(!peers.aborted('b-1'), 'b-1 still answers partition 1')
    assert.equal(q.state.at, 200)
    assert.deepEqual(names(q.state.result!), ['span-1', 'span-2'])
  })

  it('with hedgeAfterMs 0 asks every ready owner at once', async () => {
    const { peers, start, clock } = setup({ 0: [owner('a-1', 'a'), owner('b-1', 'b')] }, { hedgeAfterMs: 0 })
    peers.set('a-1', { ...answer(trace('1')), afterMs: 10 }).set('b-1', { ...answer(trace('2')), afterMs: 5 })
    const q = start()
    await advance(clock, 20, 1)
    assert.deepEqual(peers.asked(), ['a-1', 'b-1'])
    assert.deepEqual(names(q.state.result!), ['span-2'])
  })
})

describe('cluster trace by id: owners catching up', () => {
  it('asks a catching-up owner only when no ready owner answers, and marks the result incomplete', async () => {
    const { peers, start, clock, at } = setup({ 0: [owner('a-1', 'a', { catchingUp: true }), owner('b-1', 'b')] })
    peers.set('a-1', answer(trace('1'), 'live-store is catching up: lag 12s')).set('b-1', { fail: 'boom', afterMs: 350 })
    const q = start()
    await advance(clock, 340)
    assert.deepEqual(peers.asked(), ['b-1'], 'no hedge to a catching-up owner while a ready one may answer')
    await advance(clock, 20)
    assert.deepEqual(at('a-1'), [350])
    assert.deepEqual(names(q.state.result!), ['span-1'])
    assert.deepEqual(q.state.result!.incomplete, ['partition 0 from a-1: live-store is catching up: lag 12s'])
    assert.deepEqual(q.state.result!.missing, [])
  })

  it('never asks the catching-up owner when a ready one answers', async () => {
    const { peers, start, clock } = setup({ 0: [owner('a-1', 'a', { catchingUp: true }), owner('b-1', 'b')] })
    peers.set('a-1', answer(trace('1'), 'replaying')).set('b-1', { ...answer(trace('2')), afterMs: 500 })
    const q = start()
    await advance(clock, 600)
    assert.deepEqual(peers.asked(), ['b-1'])
    assert.deepEqual(q.state.result!.incomplete, [])
  })

  it('asks a catching-up owner at once when the partition has no ready one (then the unhealthy one, as a last resort)', async () => {
    const { peers, start, localCalls } = setup({ 0: [owner('self', 'a', { catchingUp: true }), owner('b-1', 'b', { healthy: false })], 1: [owner('self', 'a', { catchingUp: true })] }, {
      local: async (tenants) => { localCalls.push([...tenants]); return { trace: trace('1'), incomplete: 'replaying' } },
    })
    peers.set('b-1', { fail: 'not connected' })
    const q = start()
    await q.done
    assert.deepEqual(peers.asked(), ['b-1'], 'asked after the incomplete local answer')
    assert.deepEqual(localCalls.length, 1)
    assert.deepEqual(q.state.result!.incomplete, ['partitions 0, 1 from self: replaying'])
  })

  it('marks the answer of an owner the view thought ready but that says it is catching up', async () => {
    const { peers, start } = setup({ 0: [owner('a-1', 'a')] })
    peers.set('a-1', answer(null, 'replaying'))
    const q = start()
    await q.done
    assert.deepEqual(q.state.result!.incomplete, ['partition 0 from a-1: replaying'])
  })

  it('passes over an incomplete answer from an owner thought ready: asks the next at once and keeps the complete answer', async () => {
    const { peers, start, clock, at } = setup({ 0: [owner('a-1', 'a'), owner('b-1', 'b'), owner('c-1', 'c')] })
    peers.set('a-1', { ...answer(null, 'replaying'), afterMs: 10 }).set('b-1', { ...answer(trace('2')), afterMs: 20 }).set('c-1', 'hang')
    const q = start()
    await advance(clock, 40)
    assert.deepEqual(at('b-1'), [10], 'asked as soon as a-1 said it is catching up, not after the hedge delay')
    assert.deepEqual(names(q.state.result!), ['span-2'])
    assert.deepEqual(q.state.result!.incomplete, [])
    assert.deepEqual(q.state.result!.missing, [])
  })

  it('falls back to the incomplete answer when no owner gives a complete one', async () => {
    const { peers, start } = setup({ 0: [owner('a-1', 'a'), owner('b-1', 'b')] })
    peers.set('a-1', answer(trace('1'), 'replaying')).set('b-1', { fail: 'boom' })
    const q = start()
    await q.done
    assert.deepEqual(names(q.state.result!), ['span-1'])
    assert.deepEqual(q.state.result!.incomplete, ['partition 0 from a-1: replaying'])
    assert.deepEqual(q.state.result!.missing, [])
  })
})

describe('cluster trace by id: missing partitions and deadlines', () => {
  it('reports a partition whose owners all fail, with the reason per node, and answers the rest', async () => {
    const { peers, start, clock } = setup({
      0: [owner('a-1', 'a'), owner('b-1', 'b'), owner('c-1', 'c', { healthy: false })],
      1: [owner('a-2', 'a')],
      2: [],
      3: [owner('a-3', 'a', { healthy: false })],
    })
    peers.set('a-1', { fail: 'connection refused' }).set('b-1', { fail: 'live-store is stopping', afterMs: 10 }).set('a-2', answer(trace('2')))
      .set('c-1', { fail: 'not connected' }).set('a-3', { fail: 'not connected' })
    const q = start()
    await advance(clock, 20)
    assert.deepEqual(names(q.state.result!), ['span-2'])
    assert.deepEqual(q.state.result!.missing, [
      { partition: 0, reason: 'a-1: connection refused, b-1: live-store is stopping, c-1: unhealthy here, asked anyway: not connected' },
      { partition: 2, reason: 'no owner in the ring' },
      { partition: 3, reason: 'a-3: unhealthy here, asked anyway: not connected' },
    ])
  })

  it('asks owners it thinks unhealthy last, and takes their answer (its own view may be the stale one)', async () => {
    const { peers, start, clock, at } = setup({ 0: [owner('a-1', 'a', { healthy: false }), owner('b-1', 'b')] })
    peers.set('b-1', { fail: 'boom', afterMs: 5 }).set('a-1', answer(trace('1')))
    const q = start()
    await advance(clock, 20)
    assert.deepEqual(peers.asked(), ['b-1', 'a-1'])
    assert.deepEqual(at('a-1'), [5])
    assert.deepEqual(names(q.state.result!), ['span-1'])
    assert.deepEqual(q.state.result!.missing, [])
  })

  it('ends at the deadline: partitions still waiting are missing and every request is aborted', async () => {
    const { peers, start, clock } = setup({ 0: [owner('a-1', 'a'), owner('b-1', 'b')], 1: [owner('a-2', 'a')] }, { timeoutMs: 1000 })
    peers.set('a-1', 'hang').set('b-1', 'hang').set('a-2', answer(trace('2')))
    const q = start()
    await advance(clock, 995)
    assert.equal(q.state.result, undefined)
    await advance(clock, 10)
    assert.equal(q.state.at, 1000)
    assert.deepEqual(q.state.result!.missing, [{ partition: 0, reason: 'a-1: no answer within 1s, b-1: no answer within 1s' }])
    assert.deepEqual(names(q.state.result!), ['span-2'])
    assert.ok(peers.aborted('a-1') && peers.aborted('b-1'), 'both aborted')
    assert.equal(clock.pendingTimers, 0)
  })

  it('stops when the caller aborts, rejecting with its reason and aborting the requests', async () => {
    const { peers, start, clock } = setup({ 0: [owner('a-1', 'a'), owner('b-1', 'b')] })
    peers.set('a-1', 'hang').set('b-1', 'hang')
    const ac = new AbortController()
    const q = start(ac.signal)
    await advance(clock, 150)
    const reason = new Error('client went away')
    ac.abort(reason)
    await flush()
    await q.done
    assert.equal(q.state.error, reason)
    assert.ok(peers.aborted('a-1') && peers.aborted('b-1'), 'both aborted')
    assert.equal(clock.pendingTimers, 0)
  })

  it('rejects at once with an already aborted signal', async () => {
    const { peers, start } = setup({ 0: [owner('a-1', 'a')] })
    const ac = new AbortController()
    ac.abort(new Error('gone'))
    const q = start(ac.signal)
    await q.done
    assert.match((q.state.error as Error).message, /gone/)
    assert.deepEqual(peers.asked(), [])
  })

  it('a failing local lookup falls over to the next owner', async () => {
    const { peers, start } = setup({ 0: [owner('self', 'a'), owner('b-1', 'b')] }, {
      local: async () => { throw new Error('live-store is starting') },
    })
    peers.set('b-1', answer(trace('1')))
    const q = start()
    await q.done
    await flush()
    assert.deepEqual(names(q.state.result!), ['span-1'])
  })
})

describe('orderCandidates', () => {
  it('orders ready before catching-up, the preferred zone first, other zones by name, view order within a zone; drops unhealthy and duplicate owners', () => {
    const got = orderCandidates([
      owner('c-1', 'c'),
      owner('a-2', 'a', { catchingUp: true }),
      owner('b-2', 'b'),
      owner('x', 'b', { healthy: false }),
      owner('b-1', 'b'),
      owner('a-1', 'a'),
      owner('a-1', 'a'),
      owner('c-2', 'c', { catchingUp: true }),
    ], 'b')
    assert.deepEqual(got.map((c) => c.nodeId), ['b-2', 'b-1', 'a-1', 'c-1', 'a-2', 'c-2'])
  })
})

describe('ClusterTraceFinder options', () => {
  it('refuses a negative hedge delay and a non-positive deadline', () => {
    const base = { view: fakeView('s', 'a', {}), ask: async () => new Uint8Array(), local: async () => ({ trace: null }), clock: new ManualClock() }
    assert.throws(() => new ClusterTraceFinder({ ...base, hedgeAfterMs: -1, timeoutMs: 1 }), /hedgeAfterMs/)
    assert.throws(() => new ClusterTraceFinder({ ...base, hedgeAfterMs: 0, timeoutMs: 0 }), /timeoutMs/)
  })
})
