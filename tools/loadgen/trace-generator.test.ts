import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeTracesProto, encodeTracesProto } from '../../common/otlp/index.ts'
import { isValidSpanId, isValidTraceId } from '../../common/otlp/ids.ts'
import { SpanKind, StatusCode } from '../../common/otlp/model.ts'
import type { AnyValue, Span, TracesData } from '../../common/otlp/model.ts'
import { createTraceGenerator, generateTraces } from './trace-generator.ts'

const NOW = 1_763_000_000_000
const NOW_NS = BigInt(NOW) * 1_000_000n

function allSpans (data: TracesData): Span[] {
  return data.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))
}

function byTrace (data: TracesData): Map<string, Span[]> {
  const out = new Map<string, Span[]>()
  for (const s of allSpans(data)) {
    const k = s.traceId.toString('hex')
    out.set(k, [...(out.get(k) ?? []), s])
  }
  return out
}

function kinds (v: AnyValue, into: Set<string>): void {
  into.add(v.kind)
  if (v.kind === 'array') for (const x of v.value) kinds(x, into)
}

describe('trace generator', () => {
  const data = generateTraces({ seed: 42, traces: 300, now: NOW })
  const traces = byTrace(data)

  it('is deterministic for a seed and differs between seeds', () => {
    assert.deepStrictEqual(generateTraces({ seed: 42, traces: 20, now: NOW }), generateTraces({ seed: 42, traces: 20, now: NOW }))
    assert.notDeepStrictEqual(generateTraces({ seed: 42, traces: 20, now: NOW }), generateTraces({ seed: 43, traces: 20, now: NOW }))
  })

  it('makes the requested number of traces of 5..40 spans with valid, unique ids', () => {
    assert.equal(traces.size, 300)
    for (const spans of traces.values()) {
      assert.ok(spans.length >= 5 && spans.length <= 40, `trace of ${spans.length} spans`)
      const ids = new Set<string>()
      for (const s of spans) {
        assert.ok(isValidTraceId(s.traceId), 'trace id')
        assert.ok(isValidSpanId(s.spanId), 'span id')
        ids.add(s.spanId.toString('hex'))
      }
      assert.equal(ids.size, spans.length, 'span ids unique within the trace')
    }
  })

  it('builds one tree per trace: a single root, every parent present, children inside parents', () => {
    for (const spans of traces.values()) {
      const byId = new Map(spans.map((s) => [s.spanId.toString('hex'), s]))
      const roots = spans.filter((s) => s.parentSpanId.length === 0)
      assert.equal(roots.length, 1)
      for (const s of spans) {
        assert.ok(s.startTimeUnixNano < s.endTimeUnixNano, 'positive duration')
        assert.ok(s.endTimeUnixNano <= NOW_NS && s.startTimeUnixNano > NOW_NS - 60_000_000_000n, 'near now')
        if (s.parentSpanId.length === 0) continue
        const parent = byId.get(s.parentSpanId.toString('hex'))
        assert.ok(parent !== undefined, 'parent in the trace')
        assert.ok(s.startTimeUnixNano >= parent.startTimeUnixNano && s.endTimeUnixNano <= parent.endTimeUnixNano, `${s.name} inside ${parent.name}`)
        for (const e of s.events) assert.ok(e.timeUnixNano >= s.startTimeUnixNano && e.timeUnixNano <= s.endTimeUnixNano, 'event inside its span')
      }
    }
  })

  it('has roughly the configured error rate, with exception events on error spans', () => {
    const rate = (d: TracesData): number => {
      const spans = allSpans(d)
      return spans.filter((s) => s.status.code === StatusCode.ERROR).length / spans.length
    }
    const dflt = rate(data)
    assert.ok(dflt > 0.015 && dflt < 0.05, `default error rate ${dflt}`)
    const ten = rate(generateTraces({ seed: 7, traces: 300, now: NOW, errorRate: 0.1 }))
    assert.ok(ten > 0.07 && ten < 0.13, `error rate ${ten}`)
    assert.equal(rate(generateTraces({ seed: 7, traces: 50, now: NOW, errorRate: 0 })), 0)
    for (const s of allSpans(data).filter((x) => x.status.code === StatusCode.ERROR)) {
      assert.notEqual(s.status.message, '')
      const ex = s.events.find((e) => e.name === 'exception')
      assert.ok(ex !== undefined && ex.attributes.some((a) => a.key === 'exception.type') && ex.attributes.some((a) => a.key === 'exception.message'))
    }
  })

  it('covers every span kind, attribute type, resource attribute and some links', () => {
    const spans = allSpans(data)
    assert.deepStrictEqual(new Set(spans.map((s) => s.kind)), new Set([SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER]))
    const types = new Set<string>()
    for (const s of spans) for (const a of s.attributes) kinds(a.value, types)
    for (const t of ['string', 'int', 'double', 'bool', 'array']) assert.ok(types.has(t), `attribute type ${t}`)
    const status = spans.flatMap((s) => s.attributes).find((a) => a.key === 'http.status_code')
    assert.equal(status?.value.kind, 'int')
    assert.ok(spans.some((s) => s.attributes.some((a) => a.key === 'db.statement')))
    assert.ok(spans.some((s) => s.links.length > 0), 'some links')
    const services = new Set<string>()
    for (const rs of data.resourceSpans) {
      const keys = new Set(rs.resource?.attributes.map((a) => a.key))
      for (const k of ['service.name', 'service.version', 'host.name', 'k8s.pod.name']) assert.ok(keys.has(k), k)
      const name = rs.resource?.attributes.find((a) => a.key === 'service.name')?.value
      if (name?.kind === 'string') services.add(name.value)
      assert.ok(rs.scopeSpans.length > 0 && rs.scopeSpans.every((ss) => ss.scope !== null && ss.spans.length > 0))
    }
    assert.ok(services.size >= 6, `services: ${[...services].join(',')}`)
  })

  it('groups by resource and scope without repeating either', () => {
    const resources = data.resourceSpans.map((rs) => rs.resource)
    assert.equal(new Set(resources).size, resources.length)
    for (const rs of data.resourceSpans) {
      const scopes = rs.scopeSpans.map((ss) => ss.scope)
      assert.equal(new Set(scopes).size, scopes.length)
    }
  })

  it('round-trips through the OTLP protobuf codec', () => {
    const small = generateTraces({ seed: 3, traces: 10, now: NOW })
    assert.deepStrictEqual(decodeTracesProto(encodeTracesProto(small)), small)
  })

  it('hands out one trace at a time, spans in end order', () => {
    const gen = createTraceGenerator({ seed: 9, minSpans: 10, maxSpans: 10 })
    const t = gen.next(NOW)
    assert.equal(t.spans.length, 10)
    assert.ok(t.spans.every((g) => g.span.traceId.equals(t.traceId)))
    for (let i = 1; i < t.spans.length; i++) assert.ok(t.spans[i - 1]!.span.endTimeUnixNano <= t.spans[i]!.span.endTimeUnixNano)
    assert.ok(!gen.next(NOW).traceId.equals(t.traceId))
  })
})
