import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Registry } from 'prom-client'
import { defaultsOf } from '../common/config-schema.ts'
import { ManualClock } from '../test/fakes/clock.ts'
import { overridesSchema } from './config.ts'
import { TraceStore } from './store.ts'
import { batch, makeSpan, spansOf, traceIdOf, tracesData } from './testing.ts'

describe('memory as a search source', () => {
  it('lists each trace once, live ones newest first, then those being flushed, decoding on demand', () => {
    const clock = new ManualClock()
    const store = new TraceStore({ limits: defaultsOf(overridesSchema), clock, registry: new Registry() })
    store.push('t', tracesData(batch('a', [makeSpan('1', '11')])))
    store.push('t', tracesData(batch('a', [makeSpan('2', '21')])))
    const inst = store.instance('t')!
    const cut = inst.cut(clock.now(), { max_trace_idle: 0, max_trace_live: 0 }, true) // both now being flushed
    store.push('t', tracesData(batch('b', [makeSpan('2', '22')]))) // trace 2 lives again
    store.push('t', tracesData(batch('b', [makeSpan('3', '31')])))
    const refs = store.liveTraceRefs('t')
    assert.deepEqual(refs.map((r) => r.key.replace(/^0+/, '')), ['3', '2', '1'])
    const two = refs[1]!
    assert.equal(two.spans, 2)
    assert.ok(two.bytes > 0)
    assert.deepEqual(spansOf(two.decode()).map((s) => s.spanId.toString('hex').replace(/^0+/, '')), ['21', '22'], 'the flushing and the live segment')
    inst.flushed(cut, true)
    assert.deepEqual(store.liveTraceRefs('t').map((r) => r.key.replace(/^0+/, '')), ['3', '2'])
    assert.deepEqual([...store.searchLiveTraces('t')].map((p) => spansOf(p.trace).length), [1, 1])
    assert.deepEqual(store.liveTraceRefs('nobody'), [])
    assert.ok(refs[0]!.traceId.equals(traceIdOf('3')))
  })

  it('tells from the raw fragments, without decoding, whether byte strings can be in the trace', () => {
    const store = new TraceStore({ limits: defaultsOf(overridesSchema), clock: new ManualClock(), registry: new Registry() })
    store.push('t', tracesData(batch('checkout', [makeSpan('1', '11', { name: 'GET /cart' })])))
    store.push('t', tracesData(batch('payment', [makeSpan('1', '12')])))
    const [ref] = store.liveTraceRefs('t')
    const b = (s: string): Buffer => Buffer.from(s)
    assert.equal(ref!.mayContain([[b('checkout'), b('payment')]]), true, 'needles in different fragments')
    assert.equal(ref!.mayContain([[b('checkout'), b('shipping')]]), false)
    assert.equal(ref!.mayContain([[b('shipping')], [b('GET /cart')]]), true, 'one conjunction is enough')
  })
})
