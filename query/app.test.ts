import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { gunzipSync } from 'node:zlib'
import { serve } from '@hono/node-server'
import type { ServerType } from '@hono/node-server'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { defaultsOf } from '../common/config-schema.ts'
import { decodeTracesProto } from '../common/otlp/decode-proto.ts'
import type { ReadinessState } from '../common/readiness.ts'
import { ProtoReader } from '../common/otlp/proto-reader.ts'
import { overridesSchema } from '../store/config.ts'
import { TraceStore } from '../store/store.ts'
import { batch, makeSpan, spansOf, traceIdOf, tracesData } from '../store/testing.ts'
import { ManualClock } from '../test/fakes/clock.ts'
import { createQueryApp } from './app.ts'
import type { QueryAppOptions, TraceFinder } from './app.ts'
import { querySchema } from './config.ts'
import type { QueryConfig } from './config.ts'

const ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90'

function fakeReadiness (state: ReadinessState = 'ready', reason = '') {
  const r = { current: state, why: reason, state: () => r.current, reason: () => r.why }
  return r
}

function setup (config: Partial<QueryConfig> = {}, extra: Partial<QueryAppOptions> = {}) {
  const registry = new Registry()
  const store = new TraceStore({ limits: defaultsOf(overridesSchema), clock: new ManualClock(), registry })
  const readiness = fakeReadiness()
  const logs: string[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => { logs.push(line) } })
  const app = createQueryApp({
    store,
    readiness,
    registry,
    logger,
    config: { ...defaultsOf(querySchema), ...config },
    buildInfo: { version: '0.1.0', revision: 'abc123', branch: 'main' },
    ...extra,
  })
  const get = (path: string, headers: Record<string, string> = {}) => app.request(`http://localhost${path}`, { headers })
  return { app, store, readiness, registry, logs, get }
}

interface TempoJson { batches?: { resource?: unknown, scopeSpans: { spans: { traceId: string, spanId: string, name: string, kind?: string }[] }[] }[] }

describe('query API: trace by id', () => {
  it('v1 answers Tempo JSON with batches, base64 ids and enum names', async () => {
    const { store, get } = setup()
    store.push('single-tenant', tracesData(batch('svc', [makeSpan(ID, '1'), makeSpan(ID, '2')])))
    const res = await get(`/api/traces/${ID}`)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
    const body = await res.json() as TempoJson
    assert.deepEqual(Object.keys(body), ['batches'])
    const spans = body.batches?.[0]?.scopeSpans[0]?.spans
    assert.deepEqual(spans?.map((s) => s.name), ['span-1', 'span-2'])
    assert.equal(spans?.[0]?.traceId, traceIdOf(ID).toString('base64'))
    assert.equal(spans?.[0]?.kind, 'SPAN_KIND_SERVER')
  })

  it('v1 finds short and upper-case ids padded as Tempo pads them', async () => {
    const { store, get } = setup()
    store.push('single-tenant', tracesData(batch('svc', [makeSpan('abc', '1')])))
    assert.equal((await get('/api/traces/ABC')).status, 200)
    assert.equal((await get('/api/traces/0000abc')).status, 200)
  })

  it('v1 answers 404 with an empty body when the trace is absent', async () => {
    const { get } = setup()
    const res = await get(`/api/traces/${ID}`)
    assert.equal(res.status, 404)
    assert.equal(await res.text(), '')
  })

  it('v1 answers protobuf (tempopb.Trace) to Accept: application/protobuf', async () => {
    const { store, get } = setup()
    store.push('single-tenant', tracesData(batch('svc', [makeSpan(ID, '1')])))
    const res = await get(`/api/traces/${ID}`, { accept: 'application/protobuf' })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'application/protobuf')
    const decoded = decodeTracesProto(new Uint8Array(await res.arrayBuffer()))
    assert.deepEqual(spansOf(decoded).map((s) => s.name), ['span-1'])
    assert.ok(spansOf(decoded)[0]?.traceId.equals(traceIdOf(ID)))
  })

  it('v2 wraps the trace in {"trace":{"resourceSpans":…}} and answers {"trace":{}} when absent', async () => {
    const { store, get } = setup()
    store.push('single-tenant', tracesData(batch('svc', [makeSpan(ID, '1')])))
    const found = await get(`/api/v2/traces/${ID}`)
    assert.equal(found.status, 200)
    const body = await found.json() as { trace: { resourceSpans: unknown[] } }
    assert.deepEqual(Object.keys(body), ['trace'])
    assert.equal(body.trace.resourceSpans.length, 1)
    const absent = await get('/api/v2/traces/ff')
    assert.equal(absent.status, 200)
    assert.equal(await absent.text(), '{"trace":{}}')
  })

  it('v2 answers a TraceByIDResponse to Accept: application/protobuf', async () => {
    const { store, get } = setup()
    store.push('single-tenant', tracesData(batch('svc', [makeSpan(ID, '1')])))
    const res = await get(`/api/v2/traces/${ID}`, { accept: 'application/protobuf' })
    const bytes = Buffer.from(await res.arrayBuffer())
    const r = new ProtoReader(bytes)
    assert.equal(r.uint32(bytes.length), (1 << 3) | 2)
    const inner = r.bytes(bytes.length)
    assert.equal(r.pos, bytes.length)
    assert.deepEqual(spansOf(decodeTracesProto(inner)).map((s) => s.name), ['span-1'])
    const absent = Buffer.from(await (await get('/api/v2/traces/ff', { accept: 'application/protobuf' })).arrayBuffer())
    assert.deepEqual([...absent], [0x0a, 0x00])
  })

  it('finds nothing in modes blocks and external (a live store holds recent data only)', async () => {
    const { store, get } = setup()
    store.push('single-tenant', tracesData(batch('svc', [makeSpan(ID, '1')])))
    assert.equal((await get(`/api/traces/${ID}?mode=ingesters`)).status, 200)
    assert.equal((await get(`/api/traces/${ID}?mode=blocks`)).status, 404)
    assert.equal((await get(`/api/traces/${ID}?mode=external`)).status, 404)
  })

  const bad: [string, string][] = [
    ['/api/traces/xyz', "trace IDs can only contain hex characters: invalid character 'x' at position 1"],
    ['/api/traces/121234567890abcdef1234567890abcdef', "trace IDs can't be larger than 128 bits"],
    ['/api/traces/', 'please provide a traceID'],
    ['/api/traces', 'please provide a traceID'],
    ['/api/v2/traces/', 'please provide a traceID'],
    ['/api/traces/12%20', "trace IDs can only contain hex characters: invalid character ' ' at position 3"],
    [`/api/traces/${ID}?mode=foo`, 'invalid value for mode foo'],
    [`/api/traces/${ID}?start=abc&end=5`, 'invalid start: strconv.ParseInt: parsing "abc": invalid syntax'],
    [`/api/traces/${ID}?start=10&end=5`, 'http parameter start must be before end. received start=10 end=5'],
    [`/api/v2/traces/${ID}?start=10`, 'only one of start and end provided: must provide both or neither'],
  ]
  for (const [path, message] of bad) {
    it(`answers 400 "${message}" to ${path}`, async () => {
      const { get } = setup()
      const res = await get(path)
      assert.equal(res.status, 400)
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/)
      assert.equal(await res.text(), message)
    })
  }

  it('accepts a valid start/end range (the live store ignores it, as Tempo does)', async () => {
    const { store, get } = setup()
    store.push('single-tenant', tracesData(batch('svc', [makeSpan(ID, '1')])))
    assert.equal((await get(`/api/traces/${ID}?start=1&end=2`)).status, 200)
  })
})

describe('query API: tenancy', () => {
  it('multitenancy off: every request is single-tenant, the header is ignored', async () => {
    const { store, get } = setup()
    store.push('single-tenant', tracesData(batch('svc', [makeSpan(ID, '1')])))
    store.push('other', tracesData(batch('svc', [makeSpan('ff', '1')])))
    assert.equal((await get(`/api/traces/${ID}`, { 'X-Scope-OrgID': 'other' })).status, 200)
    assert.equal((await get('/api/traces/ff', { 'X-Scope-OrgID': 'other' })).status, 404)
  })

  it('multitenancy on: 401 "no org id" without the header', async () => {
    const { get } = setup({ multitenancy_enabled: true })
    const res = await get(`/api/traces/${ID}`)
    assert.equal(res.status, 401)
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/)
    assert.equal(await res.text(), 'no org id')
    assert.equal((await get(`/api/v2/traces/${ID}`)).status, 401)
  })

  it('multitenancy on: 400 for an invalid tenant id', async () => {
    const { get } = setup({ multitenancy_enabled: true })
    const res = await get(`/api/traces/${ID}`, { 'X-Scope-OrgID': 'a/b' })
    assert.equal(res.status, 400)
  })

  it('multitenancy on: tenant A never sees tenant B\'s trace; a|b sees both, merged', async () => {
    const { store, get } = setup({ multitenancy_enabled: true })
    store.push('a', tracesData(batch('svc-a', [makeSpan(ID, '1')])))
    store.push('b', tracesData(batch('svc-b', [makeSpan(ID, '2'), makeSpan('bb', '3')])))
    const a = await (await get(`/api/traces/${ID}`, { 'X-Scope-OrgID': 'a' })).json() as TempoJson
    assert.deepEqual(a.batches?.flatMap((b) => b.scopeSpans.flatMap((s) => s.spans.map((x) => x.name))), ['span-1'])
    assert.equal((await get('/api/traces/bb', { 'X-Scope-OrgID': 'a' })).status, 404)
    assert.equal(await (await get('/api/v2/traces/bb', { 'X-Scope-OrgID': 'a' })).text(), '{"trace":{}}')
    assert.equal((await get('/api/traces/bb', { 'X-Scope-OrgID': 'b' })).status, 200)
    assert.equal((await get(`/api/traces/${ID}`, { 'X-Scope-OrgID': 'single-tenant' })).status, 404)
    const both = await (await get(`/api/traces/${ID}`, { 'X-Scope-OrgID': 'b|a' })).json() as TempoJson
    assert.deepEqual(both.batches?.flatMap((b) => b.scopeSpans.flatMap((s) => s.spans.map((x) => x.name))).sort(), ['span-1', 'span-2'])
  })
})

describe('query API: readiness, status and errors', () => {
  it('serves queries marked partial while catching up, /ready answers 503 with the reason', async () => {
    const { readiness, get } = setup({ multitenancy_enabled: true })
    readiness.current = 'catching-up'
    readiness.why = 'live-store is catching up: lag 12s'
    const ready = await get('/ready')
    assert.equal(ready.status, 503)
    assert.equal(await ready.text(), 'live-store is catching up: lag 12s')
    assert.equal(ready.headers.get('retry-after'), '1')
    const v1 = await get(`/api/traces/${ID}`, { 'X-Scope-OrgID': 'nobody' })
    assert.equal(v1.status, 404)
    assert.equal(v1.headers.get('x-livestore-partial'), 'live-store is catching up: lag 12s')
    const v2 = await get(`/api/v2/traces/${ID}`, { 'X-Scope-OrgID': 'nobody' })
    assert.deepEqual(await v2.json(), { trace: {}, status: 'PARTIAL', message: 'live-store is catching up: lag 12s' })
    readiness.current = 'starting'
    readiness.why = 'live-store is starting'
    for (const path of [`/api/traces/${ID}`, `/api/v2/traces/${ID}`, '/ready']) {
      const res = await get(path)
      assert.equal(res.status, 503, path)
      assert.equal(await res.text(), 'live-store is starting')
      assert.equal(res.headers.get('retry-after'), '1')
    }
    readiness.why = ''
    readiness.current = 'stopping'
    assert.equal(await (await get('/ready')).text(), 'live-store is stopping')
    readiness.current = 'ready'
    const ok = await get('/ready')
    assert.equal(ok.status, 200)
    assert.equal(await ok.text(), 'ready\n')
  })

  it('serves echo and buildinfo', async () => {
    const { get } = setup()
    const echo = await get('/api/echo')
    assert.equal(echo.status, 200)
    assert.match(echo.headers.get('content-type') ?? '', /^text\/plain/)
    assert.equal(await echo.text(), 'echo\n')
    const info = await (await get('/api/status/buildinfo')).json() as Record<string, string>
    assert.deepEqual(Object.keys(info), ['version', 'revision', 'branch', 'buildUser', 'buildDate', 'goVersion'])
    assert.equal(info.version, '0.1.0')
    assert.equal(info.goVersion, process.version)
  })

  it('serves /metrics from the registry and /status/config as YAML', async () => {
    const { store, get } = setup({}, { statusConfig: { query: { multitenancy_enabled: false } } })
    store.push('single-tenant', tracesData(batch('svc', [makeSpan(ID, '1')])))
    const metrics = await (await get('/metrics')).text()
    assert.match(metrics, /tempo_live_store_live_traces\{tenant="single-tenant"\} 1/)
    const config = await get('/status/config')
    assert.equal(await config.text(), 'query:\n  multitenancy_enabled: false\n')
    assert.equal((await setup().get('/status/config')).status, 404)
  })

  it('honours http_api_prefix on /api paths only', async () => {
    const { store, get } = setup({ http_api_prefix: '/tempo/' })
    store.push('single-tenant', tracesData(batch('svc', [makeSpan(ID, '1')])))
    assert.equal((await get(`/tempo/api/traces/${ID}`)).status, 200)
    assert.equal((await get('/tempo/api/echo')).status, 200)
    assert.equal((await get(`/api/traces/${ID}`)).status, 404)
    assert.equal((await get('/ready')).status, 200)
    assert.equal((await get('/metrics')).status, 200)
  })

  it('answers 500 with the message for unknown errors and logs them', async () => {
    const failing: TraceFinder = { findTraceById: () => { throw new Error('disk on fire') } }
    const { get, logs } = setup({}, { store: failing })
    const res = await get(`/api/traces/${ID}`)
    assert.equal(res.status, 500)
    assert.equal(await res.text(), 'disk on fire')
    assert.equal(logs.length, 1)
    assert.match(logs[0] ?? '', /disk on fire/)
  })

  it('awaits asynchronous finders', async () => {
    const asyncFinder: TraceFinder = { findTraceById: async () => tracesData(batch('svc', [makeSpan(ID, '7')])) }
    const { get } = setup({}, { store: asyncFinder })
    assert.equal((await get(`/api/traces/${ID}`)).status, 200)
  })
})

describe('query API over real HTTP', () => {
  let server: ServerType
  let port = 0
  const ctx = setup()

  before(async () => {
    const spans = Array.from({ length: 50 }, (_, i) => makeSpan(ID, (i + 1).toString(16), { name: `operation-number-${i}` }))
    ctx.store.push('single-tenant', tracesData(batch('svc', spans)))
    await new Promise<void>((resolve) => {
      server = serve({ fetch: ctx.app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => { port = info.port; resolve() })
    })
  })
  after(() => new Promise<void>((resolve) => { server.close(() => resolve()) }))

  function fetchRaw (path: string, headers: Record<string, string>): Promise<{ status: number, headers: Record<string, string | string[] | undefined>, body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end()
    })
  }

  it('gzips JSON when the client accepts gzip', async () => {
    const res = await fetchRaw(`/api/traces/${ID}`, { 'accept-encoding': 'gzip' })
    assert.equal(res.status, 200)
    assert.equal(res.headers['content-encoding'], 'gzip')
    const body = JSON.parse(gunzipSync(res.body).toString()) as TempoJson
    assert.equal(body.batches?.[0]?.scopeSpans[0]?.spans.length, 50)
  })

  it('gzips protobuf too, and sends plain bytes to clients that do not ask for gzip', async () => {
    const gz = await fetchRaw(`/api/traces/${ID}`, { 'accept-encoding': 'gzip', accept: 'application/protobuf' })
    assert.equal(gz.headers['content-encoding'], 'gzip')
    assert.equal(spansOf(decodeTracesProto(gunzipSync(gz.body))).length, 50)
    const plain = await fetchRaw(`/api/traces/${ID}`, {})
    assert.equal(plain.headers['content-encoding'], undefined)
    assert.equal((JSON.parse(plain.body.toString()) as TempoJson).batches?.[0]?.scopeSpans[0]?.spans.length, 50)
  })

  it('answers 404 with an empty body over the wire', async () => {
    const res = await fetchRaw('/api/traces/ff', { 'accept-encoding': 'gzip' })
    assert.equal(res.status, 404)
    assert.equal(res.body.length, 0)
  })
})
