import { createRequire } from 'node:module'
import type { Attributes, HrTime, SpanContext, TraceState } from '@opentelemetry/api'
import type { Resource } from '@opentelemetry/resources'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'

/**
 * Test and benchmark support (not imported by production code): ReadableSpan objects for the
 * official serializers of @opentelemetry/otlp-transformer, built directly (not through a tracer)
 * so every OTLP feature can be reached: nested array/kvlist attribute values, bytes, any
 * timestamp up to 2^64-1 ns, remote parents, trace state, dropped counts.
 */

/** An attribute value as the transformer accepts it (wider than the API type). */
export type RawValue = string | number | boolean | Uint8Array | null | RawValue[] | { [key: string]: RawValue }
export type RawAttributes = Record<string, RawValue>

export interface SpanSpec {
  traceId: string
  spanId: string
  traceFlags: number
  traceState?: string
  parent?: { spanId: string, isRemote: boolean }
  name: string
  /** API SpanKind (0 = INTERNAL … 4 = CONSUMER); OTLP adds 1. */
  kind: number
  start: bigint
  end: bigint
  attributes: RawAttributes
  droppedAttributesCount: number
  events: { name: string, time: bigint, attributes?: RawAttributes, droppedAttributesCount?: number }[]
  droppedEventsCount: number
  links: { traceId: string, spanId: string, traceFlags: number, traceState?: string, isRemote?: boolean, attributes?: RawAttributes, droppedAttributesCount?: number }[]
  droppedLinksCount: number
  status: { code: number, message?: string }
  resource: { attributes: RawAttributes, schemaUrl?: string }
  scope: { name: string, version?: string, schemaUrl?: string }
}

const NS = 1_000_000_000n

export function hrTime (ns: bigint): HrTime {
  return [Number(ns / NS), Number(ns % NS)]
}

function traceState (s: string | undefined): TraceState | undefined {
  if (s === undefined) return undefined
  // The transformer only calls serialize().
  const ts: TraceState = { serialize: () => s, get: () => undefined, set: () => ts, unset: () => ts }
  return ts
}

/** Resource objects are cached per spec object: the transformer groups spans by resource identity. */
const resources = new WeakMap<object, Resource>()

export function readableSpan (s: SpanSpec): ReadableSpan {
  let resource = resources.get(s.resource)
  if (resource === undefined) {
    resource = { attributes: s.resource.attributes, schemaUrl: s.resource.schemaUrl } as unknown as Resource
    resources.set(s.resource, resource)
  }
  const ctx: SpanContext = { traceId: s.traceId, spanId: s.spanId, traceFlags: s.traceFlags, traceState: traceState(s.traceState) }
  return {
    name: s.name,
    kind: s.kind,
    spanContext: () => ctx,
    parentSpanContext: s.parent === undefined ? undefined : { traceId: s.traceId, spanId: s.parent.spanId, traceFlags: s.traceFlags, isRemote: s.parent.isRemote },
    startTime: hrTime(s.start),
    endTime: hrTime(s.end),
    status: s.status,
    attributes: s.attributes as unknown as Attributes,
    links: s.links.map((l) => ({
      context: { traceId: l.traceId, spanId: l.spanId, traceFlags: l.traceFlags, traceState: traceState(l.traceState), isRemote: l.isRemote },
      attributes: l.attributes as unknown as Attributes,
      droppedAttributesCount: l.droppedAttributesCount,
    })),
    events: s.events.map((e) => ({ name: e.name, time: hrTime(e.time), attributes: e.attributes as unknown as Attributes, droppedAttributesCount: e.droppedAttributesCount })),
    duration: [0, 0],
    ended: true,
    resource,
    instrumentationScope: s.scope,
    droppedAttributesCount: s.droppedAttributesCount,
    droppedEventsCount: s.droppedEventsCount,
    droppedLinksCount: s.droppedLinksCount,
  }
}

// --- deterministic realistic payloads (benchmarks) ----------------------------------------------

/** A small seeded PRNG (mulberry32), so benchmark payloads are the same on every run. */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * `count` spans like a typical instrumented service emits: ~10 attributes (http.*, db.*, ids),
 * 0–3 events (some with attributes), a link on ~1 in 5 spans, 5 traces per batch.
 */
export function realisticSpanSpecs (count: number, seed: number): SpanSpec[] {
  const rnd = prng(seed)
  const hex = (bytes: number): string => { let s = ''; for (let i = 0; i < bytes; i++) s += Math.floor(rnd() * 256).toString(16).padStart(2, '0'); return s }
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const resource = {
    attributes: {
      'service.name': 'checkout', 'service.namespace': 'shop', 'service.version': '1.42.0', 'deployment.environment': 'prod',
      'host.name': 'ip-10-0-3-17.eu-west-1.compute.internal', 'k8s.pod.name': 'checkout-7d9f8b6c5d-x2k4q', 'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.name': 'opentelemetry', 'telemetry.sdk.version': '2.7.1',
    },
  }
  const scopes = [{ name: '@opentelemetry/instrumentation-http', version: '0.216.0' }, { name: '@opentelemetry/instrumentation-pg', version: '0.52.0' }]
  const traces = Array.from({ length: 5 }, () => hex(16))
  const routes = ['/api/cart', '/api/checkout', '/api/products/:id', '/healthz', '/api/users/:id/orders']
  const start0 = 1_763_700_000_000_000_000n
  const specs: SpanSpec[] = []
  for (let i = 0; i < count; i++) {
    const start = start0 + BigInt(Math.floor(rnd() * 1e12))
    const route = pick(routes)
    const db = rnd() < 0.4
    const attributes: RawAttributes = db
      ? {
          'db.system': 'postgresql', 'db.name': 'orders', 'db.operation': pick(['SELECT', 'INSERT', 'UPDATE']),
          'db.statement': 'SELECT id, user_id, total, created_at FROM orders WHERE user_id = $1 ORDER BY created_at DESC LIMIT 20',
          'net.peer.name': 'orders-db.internal', 'net.peer.port': 5432, 'db.rows_affected': Math.floor(rnd() * 100),
          'db.pool.size': 20, 'db.pool.used': Math.floor(rnd() * 20), 'thread.id': Math.floor(rnd() * 16),
        }
      : {
          'http.request.method': pick(['GET', 'POST', 'PUT']), 'http.route': route, 'url.path': route.replace(':id', String(Math.floor(rnd() * 1e6))),
          'url.scheme': 'https', 'http.response.status_code': pick([200, 200, 200, 201, 404, 500]), 'server.address': 'checkout.shop.svc',
          'server.port': 8080, 'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
          'network.protocol.version': '1.1', 'http.request.body.size': Math.floor(rnd() * 4096), 'sampled': true, 'retry.ratio': rnd(),
        }
    const events: SpanSpec['events'] = []
    const nEvents = Math.floor(rnd() * 4)
    for (let e = 0; e < nEvents; e++) {
      events.push(e === 0 && rnd() < 0.3
        ? { name: 'exception', time: start + BigInt(e * 1000), attributes: { 'exception.type': 'TimeoutError', 'exception.message': 'upstream request timed out after 5000ms', 'exception.stacktrace': 'TimeoutError: upstream request timed out\n    at Timeout._onTimeout (/app/dist/client.js:88:23)\n    at listOnTimeout (node:internal/timers:573:17)' } }
        : { name: pick(['cache.miss', 'retry', 'connection.acquired']), time: start + BigInt(e * 1000), attributes: { attempt: e } })
    }
    specs.push({
      traceId: pick(traces),
      spanId: hex(8),
      traceFlags: 1,
      parent: i % 10 === 0 ? undefined : { spanId: hex(8), isRemote: false },
      name: db ? 'SELECT orders' : `GET ${route}`,
      kind: db ? 2 : 1,
      start,
      end: start + BigInt(Math.floor(rnd() * 5e8)),
      attributes,
      droppedAttributesCount: 0,
      events,
      droppedEventsCount: 0,
      links: rnd() < 0.2 ? [{ traceId: hex(16), spanId: hex(8), traceFlags: 1, attributes: { 'link.kind': 'follows_from' } }] : [],
      droppedLinksCount: 0,
      status: rnd() < 0.05 ? { code: 2, message: 'internal error' } : { code: 0 },
      resource,
      scope: db ? scopes[1]! : scopes[0]!,
    })
  }
  return specs
}

// --- the official generated (protobufjs static) code ---------------------------------------------

/** A generated message class of the transformer's protobufjs static module. */
export interface PbType {
  decode (bytes: Uint8Array): PbMessage
  encode (message: unknown): { finish (): Uint8Array }
}
export type PbMessage = Record<string, unknown>

const require = createRequire(import.meta.url)

/** ExportTraceServiceRequest of @opentelemetry/otlp-transformer's generated protobufjs code. */
export function officialRequestType (): PbType {
  const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js') as {
    opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: PbType } } } } }
  }
  return root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest
}
