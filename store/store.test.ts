import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Registry } from 'prom-client'
import { ManualClock } from '../test/fakes/clock.ts'
import { defaultsOf } from '../common/config-schema.ts'
import { overridesSchema } from './config.ts'
import type { OverridesConfig } from './config.ts'
import { protoSizeOfSpan } from '../common/otlp/encode-proto.ts'
import { TraceStore } from './store.ts'
import { batch, makeSpan, spansOf, traceIdOf, tracesData } from './testing.ts'

const SPAN_BYTES = 100

function setup (limits: Partial<OverridesConfig> = {}) {
  const registry = new Registry()
  const clock = new ManualClock()
  const store = new TraceStore({ limits: { ...defaultsOf(overridesSchema), ...limits }, clock, registry, sizeOfSpan: () => SPAN_BYTES })
  const metric = async (name: string, labels: Record<string, string>): Promise<number | undefined> => {
    const m = await registry.getSingleMetric(name)?.get()
    return m?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value
  }
  return { registry, clock, store, metric }
}

describe('TraceStore', () => {
  it('has Tempo\'s default limits', () => {
    const d = defaultsOf(overridesSchema)
    assert.equal(d.max_traces_per_user, 10_000)
    assert.equal(d.max_bytes_per_trace, 5_000_000)
  })

  it('merges a trace arriving over many pushes, keeping each batch\'s resource and scope', () => {
    const { store } = setup()
    store.push('t', tracesData(batch('frontend', [makeSpan('a1', '1')])))
    store.push('t', tracesData(batch('backend', [makeSpan('a1', '2'), makeSpan('b2', '3')])))
    store.push('t', tracesData(batch('db', [makeSpan('a1', '4')])))
    const trace = store.findTraceById('t', traceIdOf('a1'))
    assert.ok(trace !== null)
    assert.deepEqual(spansOf(trace).map((s) => s.name), ['span-1', 'span-2', 'span-4'])
    assert.deepEqual(trace.resourceSpans.map((rs) => rs.resource?.attributes[0]?.value), [
      { kind: 'string', value: 'frontend' }, { kind: 'string', value: 'backend' }, { kind: 'string', value: 'db' },
    ])
    assert.equal(trace.resourceSpans[0]?.scopeSpans[0]?.scope?.name, 'test-scope')
    assert.deepEqual(spansOf(store.findTraceById('t', traceIdOf('b2'))).map((s) => s.name), ['span-3'])
    assert.equal(store.findTraceById('t', traceIdOf('ff')), null)
  })

  it('joins fragments that share a resource and scope into one batch', () => {
    const { store } = setup()
    store.push('t', tracesData(batch('svc', [makeSpan('a', '1')])))
    store.push('t', tracesData(batch('svc', [makeSpan('a', '2')])))
    const trace = store.findTraceById('t', traceIdOf('a'))
    assert.equal(trace?.resourceSpans.length, 1)
    assert.deepEqual(spansOf(trace).map((s) => s.name), ['span-1', 'span-2'])
  })

  it('counts trace bytes with common/otlp\'s protoSizeOfSpan by default', async () => {
    const registry = new Registry()
    const store = new TraceStore({ limits: defaultsOf(overridesSchema), clock: new ManualClock(), registry })
    const spans = [makeSpan('a', '1', { name: 'a fairly long operation name' }), makeSpan('a', '2')]
    store.push('t', tracesData(batch('svc', spans)))
    const want = spans.reduce((n, s) => n + protoSizeOfSpan(s), 0)
    assert.equal(store.instance('t')?.liveBytes, want)
    const gauge = await registry.getSingleMetric('tempo_live_store_live_trace_bytes')?.get()
    assert.equal(gauge?.values[0]?.value, want)
  })

  it('splits one request holding several traces, interleaved in one scope', () => {
    const { store } = setup()
    const r = store.push('t', tracesData(batch('svc', [makeSpan('a', '1'), makeSpan('b', '2'), makeSpan('a', '3')])))
    assert.deepEqual(r, { accepted: 3, refused: { live_traces_exceeded: 0, trace_too_large: 0 } })
    assert.deepEqual(spansOf(store.findTraceById('t', traceIdOf('a'))).map((s) => s.name), ['span-1', 'span-3'])
    assert.deepEqual(spansOf(store.findTraceById('t', traceIdOf('b'))).map((s) => s.name), ['span-2'])
    assert.equal(store.instance('t')?.liveTraces, 2)
  })

  it('refuses exactly the spans of new traces beyond max_traces_per_user, and counts them', async () => {
    const { store, metric } = setup({ max_traces_per_user: 2 })
    store.push('t', tracesData(batch('svc', [makeSpan('a', '1'), makeSpan('b', '2')])))
    const r = store.push('t', tracesData(batch('svc', [makeSpan('c', '3'), makeSpan('c', '4'), makeSpan('a', '5'), makeSpan('d', '6')])))
    // c (2 spans) and d (1 span) are new and refused; a already lives and keeps accepting spans.
    assert.deepEqual(r, { accepted: 1, refused: { live_traces_exceeded: 3, trace_too_large: 0 } })
    assert.equal(store.findTraceById('t', traceIdOf('c')), null)
    assert.equal(spansOf(store.findTraceById('t', traceIdOf('a'))).length, 2)
    assert.equal(await metric('tempo_discarded_spans_total', { reason: 'live_traces_exceeded', tenant: 't' }), 3)
    assert.equal(await metric('tempo_live_store_traces_created_total', { tenant: 't' }), 2)
    // Other tenants have their own budget.
    assert.equal(store.push('u', tracesData(batch('svc', [makeSpan('c', '1')]))).accepted, 1)
  })

  it('refuses the span that would pass max_bytes_per_trace and every later span of that trace', async () => {
    const { store, metric } = setup({ max_bytes_per_trace: 3 * SPAN_BYTES })
    const r1 = store.push('t', tracesData(batch('svc', [makeSpan('a', '1'), makeSpan('a', '2')])))
    assert.deepEqual(r1.refused, { live_traces_exceeded: 0, trace_too_large: 0 })
    const r2 = store.push('t', tracesData(batch('svc', [makeSpan('a', '3'), makeSpan('a', '4'), makeSpan('b', '5')])))
    // Span 3 fills the trace to exactly the limit (allowed); span 4 would pass it.
    assert.deepEqual(r2, { accepted: 2, refused: { live_traces_exceeded: 0, trace_too_large: 1 } })
    const r3 = store.push('t', tracesData(batch('svc', [makeSpan('a', '6')])))
    assert.deepEqual(r3, { accepted: 0, refused: { live_traces_exceeded: 0, trace_too_large: 1 } })
    assert.deepEqual(spansOf(store.findTraceById('t', traceIdOf('a'))).map((s) => s.name), ['span-1', 'span-2', 'span-3'])
    assert.equal(await metric('tempo_discarded_spans_total', { reason: 'trace_too_large', tenant: 't' }), 2)
    assert.equal(store.instance('t')?.liveBytes, 4 * SPAN_BYTES)
  })

  it('once a trace went over the byte limit, smaller later spans are refused too', () => {
    const registry = new Registry()
    const sizes = new Map([['1', 50], ['2', 80], ['3', 10]])
    const store = new TraceStore({
      limits: { max_traces_per_user: 0, max_bytes_per_trace: 100 },
      clock: new ManualClock(),
      registry,
      sizeOfSpan: (s) => sizes.get(s.name.slice(5)) ?? 0,
    })
    const r = store.push('t', tracesData(batch('svc', [makeSpan('a', '1'), makeSpan('a', '2'), makeSpan('a', '3')])))
    assert.deepEqual(r, { accepted: 1, refused: { live_traces_exceeded: 0, trace_too_large: 2 } })
  })

  it('does not create a trace whose first span alone is too large', async () => {
    const { store, metric } = setup({ max_bytes_per_trace: SPAN_BYTES - 1 })
    const r = store.push('t', tracesData(batch('svc', [makeSpan('a', '1')])))
    assert.deepEqual(r, { accepted: 0, refused: { live_traces_exceeded: 0, trace_too_large: 1 } })
    assert.equal(store.findTraceById('t', traceIdOf('a')), null)
    assert.equal(store.instance('t')?.liveTraces, 0)
    assert.equal(await metric('tempo_live_store_traces_created_total', { tenant: 't' }), undefined)
  })

  it('treats 0 as no limit', () => {
    const { store } = setup({ max_traces_per_user: 0, max_bytes_per_trace: 0 })
    const spans = Array.from({ length: 50 }, (_, i) => makeSpan((i % 25).toString(16), String(i)))
    assert.equal(store.push('t', tracesData(batch('svc', spans))).accepted, 50)
  })

  it('keeps tenants apart', () => {
    const { store } = setup()
    store.push('a', tracesData(batch('svc-a', [makeSpan('1', '1')])))
    store.push('b', tracesData(batch('svc-b', [makeSpan('1', '2')])))
    assert.deepEqual(spansOf(store.findTraceById('a', traceIdOf('1'))).map((s) => s.name), ['span-1'])
    assert.deepEqual(spansOf(store.findTraceById('b', traceIdOf('1'))).map((s) => s.name), ['span-2'])
    assert.equal(store.findTraceById('c', traceIdOf('1')), null)
    assert.deepEqual(store.tenants().sort(), ['a', 'b'])
  })

  it('keeps the gauges equal to the live traces and bytes of each tenant', async () => {
    const { store, metric } = setup()
    store.push('a', tracesData(batch('svc', [makeSpan('1', '1'), makeSpan('2', '2')])))
    store.push('a', tracesData(batch('svc', [makeSpan('1', '3')])))
    store.push('b', tracesData(batch('svc', [makeSpan('1', '1')])))
    assert.equal(await metric('tempo_live_store_live_traces', { tenant: 'a' }), 2)
    assert.equal(await metric('tempo_live_store_live_trace_bytes', { tenant: 'a' }), 3 * SPAN_BYTES)
    assert.equal(await metric('tempo_live_store_live_traces', { tenant: 'b' }), 1)
    assert.equal(await metric('tempo_live_store_live_trace_bytes', { tenant: 'b' }), SPAN_BYTES)
    assert.equal(await metric('tempo_live_store_traces_created_total', { tenant: 'a' }), 2)
  })

  it('records the creation and last append times from the clock or the given time', () => {
    const { store, clock } = setup()
    store.push('t', tracesData(batch('svc', [makeSpan('a', '1')])))
    const created = clock.now()
    clock.advance(5000)
    store.push('t', tracesData(batch('svc', [makeSpan('a', '2')])), clock.now() + 7)
    const trace = [...(store.instance('t')?.traces() ?? [])][0]
    assert.equal(trace?.createdAtMs, created)
    assert.equal(trace?.lastAppendMs, created + 5007)
  })
})
