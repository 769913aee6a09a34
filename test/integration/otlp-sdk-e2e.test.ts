import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ROOT_CONTEXT, SpanKind as ApiSpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import type { Attributes } from '@opentelemetry/api'
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'
import { decodeTracesProto } from '../../common/otlp/index.ts'
import type { AnyValue, KeyValue, Span, TracesData } from '../../common/otlp/model.ts'
import { readTempoTrace } from '../../tools/trace-view/tempo-json.ts'
import { eventually, startNode } from '../helpers/node.ts'
import type { TestNode } from '../helpers/node.ts'

/**
 * End to end with the real OpenTelemetry JS SDK: spans exported by the OTLP/HTTP protobuf and
 * JSON exporters go through the receiver, Kafka (embedded broker) and the store, and come back
 * through `/api/traces/{id}` (JSON and protobuf) and `/api/v2/traces/{id}` field by field.
 */
function hrToNanos (t: [number, number]): bigint { return BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]) }

function plain (v: AnyValue): unknown {
  switch (v.kind) {
    case 'array': return v.value.map(plain)
    case 'kvlist': return Object.fromEntries(v.value.map((kv) => [kv.key, plain(kv.value)]))
    case 'int': return Number(v.value)
    case 'empty': return undefined
    case 'bytes': return [...v.value]
    default: return v.value
  }
}
const attrs = (kvs: KeyValue[]): Attributes => Object.fromEntries(kvs.map((kv) => [kv.key, plain(kv.value)])) as Attributes

function spansOf (data: TracesData): { span: Span, service: unknown, scope: string }[] {
  return data.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({
    span, service: attrs(rs.resource?.attributes ?? [])['service.name'], scope: ss.scope?.name ?? '',
  }))))
}

/** Asserts that the span the store returned is the span the SDK made, field by field. */
function assertSameSpan (got: { span: Span, service: unknown, scope: string }, want: ReadableSpan): void {
  const ctx = want.spanContext()
  const s = got.span
  assert.equal(s.traceId.toString('hex'), ctx.traceId)
  assert.equal(s.spanId.toString('hex'), ctx.spanId)
  assert.equal(s.parentSpanId.toString('hex'), want.parentSpanContext?.spanId ?? '')
  assert.equal(s.name, want.name)
  assert.equal(s.kind, want.kind + 1, 'OTLP kinds are the API kinds + 1')
  assert.equal(s.startTimeUnixNano, hrToNanos(want.startTime))
  assert.equal(s.endTimeUnixNano, hrToNanos(want.endTime))
  assert.deepEqual(attrs(s.attributes), want.attributes)
  assert.equal(s.status.code, want.status.code)
  assert.equal(s.status.message, want.status.message ?? '')
  assert.deepEqual(s.events.map((e) => ({ name: e.name, time: e.timeUnixNano, attributes: attrs(e.attributes) })),
    want.events.map((e) => ({ name: e.name, time: hrToNanos(e.time), attributes: e.attributes ?? {} })))
  assert.deepEqual(s.links.map((l) => ({ traceId: l.traceId.toString('hex'), spanId: l.spanId.toString('hex'), attributes: attrs(l.attributes) })),
    want.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId, attributes: l.attributes ?? {} })))
  assert.equal(got.service, want.resource.attributes['service.name'])
  assert.equal(got.scope, want.instrumentationScope.name)
}

function makeTrace (exporter: SpanExporter, service: string): { spans: () => ReadableSpan[], traceId: string, flush: () => Promise<void> } {
  const memory = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'deployment.environment': 'test' }),
    spanProcessors: [new SimpleSpanProcessor(memory), new SimpleSpanProcessor(exporter)],
  })
  const tracer = provider.getTracer('e2e-scope', '1.2.3')
  const root = tracer.startSpan('GET /checkout', { kind: ApiSpanKind.SERVER, attributes: { 'http.method': 'GET', 'http.status_code': 500, 'http.ok': false, ratio: 0.25, tags: ['a', 'b'] } })
  const rootCtx = trace.setSpan(ROOT_CONTEXT, root)
  const child = tracer.startSpan('SELECT orders', { kind: ApiSpanKind.CLIENT, attributes: { 'db.system': 'postgresql', 'db.rows': 3 } }, rootCtx)
  child.addEvent('rows fetched', { count: 3 })
  const grandchild = tracer.startSpan('decode row', {
    links: [{ context: root.spanContext(), attributes: { why: 'follows' } }],
  }, trace.setSpan(rootCtx, child))
  grandchild.end()
  child.recordException(new Error('connection reset'))
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'connection reset' })
  child.end()
  root.setStatus({ code: SpanStatusCode.OK })
  root.end()
  return { spans: () => memory.getFinishedSpans(), traceId: root.spanContext().traceId, flush: () => provider.forceFlush() }
}

describe('OpenTelemetry SDK → OTLP/HTTP → Kafka → store → Tempo API', () => {
  let n: TestNode
  before(async () => { n = await startNode() })
  after(async () => { await n?.stop() })

  for (const [encoding, Exporter] of [['protobuf', OtlpProtoExporter], ['json', OtlpJsonExporter]] as const) {
    it(`returns every field of a trace exported with the ${encoding} exporter`, async () => {
      const t = makeTrace(new Exporter({ url: `${n.otlp}/v1/traces` }), `svc-${encoding}`)
      await t.flush()
      assert.equal(t.spans().length, 3)

      const proto = await eventually(async () => {
        const res = await fetch(`${n.api}/api/traces/${t.traceId}`, { headers: { accept: 'application/protobuf' } })
        if (res.status === 404) return null
        assert.equal(res.headers.get('content-type'), 'application/protobuf')
        const data = decodeTracesProto(Buffer.from(await res.arrayBuffer()))
        return spansOf(data).length === 3 ? data : null
      }, 15_000, 'the trace to be consumed')
      const got = spansOf(proto)
      for (const want of t.spans()) {
        const match = got.find((g) => g.span.spanId.toString('hex') === want.spanContext().spanId)
        assert.ok(match !== undefined, `span ${want.name} is in the trace`)
        assertSameSpan(match, want)
      }

      // v1 JSON (`batches`) and v2 JSON (`trace.resourceSpans`) carry the same trace.
      const v1 = await (await fetch(`${n.api}/api/traces/${t.traceId}`)).json() as { batches?: unknown[] }
      assert.ok(Array.isArray(v1.batches))
      const fromV1 = readTempoTrace({ trace: { resourceSpans: v1.batches } })
      const v2 = await (await fetch(`${n.api}/api/v2/traces/${t.traceId}`)).json() as { trace: unknown }
      const fromV2 = readTempoTrace(v2)
      assert.ok(fromV1 !== null && fromV2 !== null)
      assert.deepEqual(spansOf(fromV1).map((s) => s.span), got.map((s) => s.span))
      assert.deepEqual(spansOf(fromV2).map((s) => s.span), got.map((s) => s.span))
    })
  }

  it('answers 404 (v1) and an empty trace (v2) for an unknown id', async () => {
    const v1 = await fetch(`${n.api}/api/traces/0123456789abcdef0123456789abcdef`)
    assert.equal(v1.status, 404)
    assert.equal(await v1.text(), '')
    const v2 = await fetch(`${n.api}/api/v2/traces/0123456789abcdef0123456789abcdef`)
    assert.equal(v2.status, 200)
    assert.deepEqual(await v2.json(), { trace: {} })
  })
})
