import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Registry } from 'prom-client'
import { ManualClock } from '../test/fakes/clock.ts'
import { defaultsOf } from '../common/config-schema.ts'
import { overridesSchema } from './config.ts'
import type { OverridesConfig } from './config.ts'
import { encodeTracesProto, splitRequestByTrace } from '../common/otlp/index.ts'
import type { TracesData } from '../common/otlp/model.ts'
import { TraceStore } from './store.ts'
import { batch, makeSpan, spansOf, traceIdOf, tracesData } from './testing.ts'

/** Bytes of each trace's fragment of a request: what the store holds and limits. */
function fragmentSizes (data: TracesData): number[] {
  return splitRequestByTrace(encodeTracesProto(data)).traces.map((t) => t.request.length)
}
/** The fragment size of one span of trace `a` in service `svc` (all such spans are equal size). */
const SPAN_BYTES = fragmentSizes(tracesData(batch('svc', [makeSpan('a', '1')])))[0] as number

function setup (limits: Partial<OverridesConfig> = {}) {
  const registry = new Registry()
  const clock = new ManualClock()
  const store = new TraceStore({ limits: { ...defaultsOf(overridesSchema), ...limits }, clock, registry })
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
    const trace = store.findLiveTrace('t', traceIdOf('a1'))
    assert.ok(trace !== null)
    assert.deepEqual(spansOf(trace).map((s) => s.name), ['span-1', 'span-2', 'span-4'])
    assert.deepEqual(trace.resourceSpans.map((rs) => rs.resource?.attributes[0]?.value), [
      { kind: 'string', value: 'frontend' }, { kind: 'string', value: 'backend' }, { kind: 'string', value: 'db' },
    ])
    assert.equal(trace.resourceSpans[0]?.scopeSpans[0]?.scope?.name, 'test-scope')
    assert.deepEqual(spansOf(store.findLiveTrace('t', traceIdOf('b2'))).map((s) => s.name), ['span-3'])
    assert.equal(store.findLiveTrace('t', traceIdOf('ff')), null)
  })

  it('joins fragments that share a resource and scope into one batch', () => {
    const { store } = setup()
    store.push('t', tracesData(batch('svc', [makeSpan('a', '1')])))
    store.push('t', tracesData(batch('svc', [makeSpan('a', '2')])))
    const trace = store.findLiveTrace('t', traceIdOf('a'))
    assert.equal(trace?.resourceSpans.length, 1)
    assert.deepEqual(spansOf(trace).map((s) => s.name), ['span-1', 'span-2'])
  })

  it('holds each trace as its protobuf fragments and counts their bytes', async () => {
    const { store, registry } = setup()
    const data = tracesData(batch('svc', [makeSpan('a', '1', { name: 'a fairly long operation name' }), makeSpan('a', '2'), makeSpan('b', '3')]))
    store.push('t', data)
    const want = fragmentSizes(data).reduce((n, x) => n + x, 0)
    assert.equal(store.instance('t')?.liveBytes, want)
    assert.ok(want < encodeTracesProto(data).length + 64, 'about the OTLP size: bytes, not objects')
    const gauge = await registry.getSingleMetric('tempo_live_store_live_trace_bytes')?.get()
    assert.equal(gauge?.values[0]?.value, want)
  })

  it('splits one request holding several traces, interleaved in one scope', () => {
    const { store } = setup()
    const r = store.push('t', tracesData(batch('svc', [makeSpan('a', '1'), makeSpan('b', '2'), makeSpan('a', '3')])))
    assert.deepEqual(r, { accepted: 3, refused: { live_traces_exceeded: 0, trace_too_large: 0 } })
    assert.deepEqual(spansOf(store.findLiveTrace('t', traceIdOf('a'))).map((s) => s.name), ['span-1', 'span-3'])
    assert.deepEqual(spansOf(store.findLiveTrace('t', traceIdOf('b'))).map((s) => s.name), ['span-2'])
    assert.equal(store.instance('t')?.liveTraces, 2)
  })

  it('refuses exactly the spans of new traces beyond max_traces_per_user, and counts them', async () => {
    const { store, metric } = setup({ max_traces_per_user: 2 })
    store.push('t', tracesData(batch('svc', [makeSpan('a', '1'), makeSpan('b', '2')])))
    const r = store.push('t', tracesData(batch('svc', [makeSpan('c', '3'), makeSpan('c', '4'), makeSpan('a', '5'), makeSpan('d', '6')])))
    // c (2 spans) and d (1 span) are new and refused; a already lives and keeps accepting spans.
    assert.deepEqual(r, { accepted: 1, refused: { live_traces_exceeded: 3, trace_too_large: 0 } })
    assert.equal(store.findLiveTrace('t', traceIdOf('c')), null)
    assert.equal(spansOf(store.findLiveTrace('t', traceIdOf('a'))).length, 2)
    assert.equal(await metric('tempo_discarded_spans_total', { reason: 'live_traces_exceeded', tenant: 't' }), 3)
    assert.equal(store.instance('t')?.liveTraces, 2)
    // Other tenants have their own budget.
    assert.equal(store.push('u', tracesData(batch('svc', [makeSpan('c', '1')]))).accepted, 1)
  })

  it('refuses the fragment that would take a trace past max_bytes_per_trace, and every later one', async () => {
    const { store, metric } = setup({ max_bytes_per_trace: 3 * SPAN_BYTES })
    const push = (...spans: ReturnType<typeof makeSpan>[]) => store.push('t', tracesData(batch('svc', spans)))
    assert.deepEqual(push(makeSpan('a', '1')).refused, { live_traces_exceeded: 0, trace_too_large: 0 })
    assert.deepEqual(push(makeSpan('a', '2')).refused, { live_traces_exceeded: 0, trace_too_large: 0 })
    // The third fragment fills the trace to exactly the limit (allowed); trace b is independent.
    assert.deepEqual(push(makeSpan('a', '3'), makeSpan('b', '5')), { accepted: 2, refused: { live_traces_exceeded: 0, trace_too_large: 0 } })
    // A two-span fragment would pass it: refused whole (Tempo refuses a trace's part of a push).
    assert.deepEqual(push(makeSpan('a', '4'), makeSpan('a', '6')), { accepted: 0, refused: { live_traces_exceeded: 0, trace_too_large: 2 } })
    // Sticky: once over, even a fragment that would fit is refused.
    const tiny = store.push('t', tracesData(batch('s', [makeSpan('a', '7', { name: '' })])))
    assert.deepEqual(tiny.refused, { live_traces_exceeded: 0, trace_too_large: 1 })
    assert.deepEqual(spansOf(store.findLiveTrace('t', traceIdOf('a'))).map((s) => s.name), ['span-1', 'span-2', 'span-3'])
    assert.equal(await metric('tempo_discarded_spans_total', { reason: 'trace_too_large', tenant: 't' }), 3)
    assert.equal(store.instance('t')?.liveBytes, 4 * SPAN_BYTES)
  })

  it('does not create a trace whose first fragment alone is too large', async () => {
    const { store, metric } = setup({ max_bytes_per_trace: SPAN_BYTES - 1 })
    const r = store.push('t', tracesData(batch('svc', [makeSpan('a', '1')])))
    assert.deepEqual(r, { accepted: 0, refused: { live_traces_exceeded: 0, trace_too_large: 1 } })
    assert.equal(store.findLiveTrace('t', traceIdOf('a')), null)
    assert.equal(store.instance('t')?.liveTraces, 0)
    assert.equal(await metric('tempo_live_store_traces_created_total', { tenant: 't' }), undefined)
  })

  it('returns a span consumed twice (a replayed record) once', async () => {
    const { store } = setup()
    const data = tracesData(batch('svc', [makeSpan('a', '1'), makeSpan('a', '2')]))
    store.push('t', data)
    store.push('t', data)
    assert.deepEqual(spansOf(await store.findTraceById('t', traceIdOf('a'))).map((s) => s.name), ['span-1', 'span-2'])
  })

  it('treats 0 as no limit', () => {
    const { store } = setup({ max_traces_per_user: 0, max_bytes_per_trace: 0 })
    const spans = Array.from({ length: 50 }, (_, i) => makeSpan((i % 25 + 1).toString(16), String(i + 1)))
    assert.equal(store.push('t', tracesData(batch('svc', spans))).accepted, 50)
  })

  it('keeps tenants apart', () => {
    const { store } = setup()
    store.push('a', tracesData(batch('svc-a', [makeSpan('1', '1')])))
    store.push('b', tracesData(batch('svc-b', [makeSpan('1', '2')])))
    assert.deepEqual(spansOf(store.findLiveTrace('a', traceIdOf('1'))).map((s) => s.name), ['span-1'])
    assert.deepEqual(spansOf(store.findLiveTrace('b', traceIdOf('1'))).map((s) => s.name), ['span-2'])
    assert.equal(store.findLiveTrace('c', traceIdOf('1')), null)
    assert.deepEqual(store.tenants().sort(), ['a', 'b'])
  })

  it('keeps the gauges equal to the live traces and bytes of each tenant', async () => {
    const { store, metric } = setup()
    const first = tracesData(batch('svc', [makeSpan('1', '1'), makeSpan('2', '2')]))
    const second = tracesData(batch('svc', [makeSpan('1', '3')]))
    const other = tracesData(batch('svc', [makeSpan('1', '1')]))
    store.push('a', first)
    store.push('a', second)
    store.push('b', other)
    const total = (...d: TracesData[]): number => d.flatMap(fragmentSizes).reduce((n, x) => n + x, 0)
    assert.equal(await metric('tempo_live_store_live_traces', { tenant: 'a' }), 2)
    assert.equal(await metric('tempo_live_store_live_trace_bytes', { tenant: 'a' }), total(first, second))
    assert.equal(await metric('tempo_live_store_live_traces', { tenant: 'b' }), 1)
    assert.equal(await metric('tempo_live_store_live_trace_bytes', { tenant: 'b' }), total(other))
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
