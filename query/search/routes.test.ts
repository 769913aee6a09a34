/**
 * The search endpoints through the query app: parameters, tenancy, readiness, prefix, JSON,
 * concurrency bound, deadline and client disconnect, cluster mode with fakes, and a small
 * in-memory cluster through the real fan-out, protocol and handler.
 */
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { gunzipSync } from 'node:zlib'
import { serve } from '@hono/node-server'
import type { ServerType } from '@hono/node-server'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { defaultsOf } from '../../common/config-schema.ts'
import type { ReadinessState } from '../../common/readiness.ts'
import { ManualClock } from '../../test/fakes/clock.ts'
import { createQueryApp } from '../app.ts'
import type { QueryAppOptions } from '../app.ts'
import { createInternalQueryHandler } from '../cluster/handler.ts'
import { ClusterSearcher } from '../cluster/search-fanout.ts'
import type { ClusterSearch } from '../cluster/search-fanout.ts'
import { advance, fakeView, flush, owner } from '../cluster/testing.ts'
import { querySchema } from '../config.ts'
import type { QueryConfig } from '../config.ts'
import { FakeLocalSearch, fakeCompile, fakeParseTagRef, match } from './fakes.ts'
import { createNodeSearch } from './node-answer.ts'
import type { TagScope } from './types.ts'

function fakeReadiness (state: ReadinessState = 'ready', reason = '') {
  const r = { current: state, why: reason, state: () => r.current, reason: () => r.why }
  return r
}

function setup (config: Partial<QueryConfig> = {}, query: Partial<QueryConfig['query']> = {}, extra: Partial<QueryAppOptions> = {}) {
  const local = new FakeLocalSearch()
  local.traces.set('single-tenant', [match('1', 10n), match('2', 20n, { durationMs: 0 })])
  local.names.set('single-tenant', new Map<TagScope, Set<string>>([['span', new Set(['http.method'])], ['resource', new Set(['service.name'])], ['intrinsic', new Set(['name', 'status'])]]))
  local.values.set('single-tenant', [{ type: 'string', value: 'api' }, { type: 'int', value: '7' }])
  const readiness = fakeReadiness()
  const clock = new ManualClock()
  const logs: string[] = []
  const defaults = defaultsOf(querySchema)
  const app = createQueryApp({
    store: { findTraceById: () => null },
    readiness,
    registry: new Registry(),
    logger: pino({ level: 'info' }, { write: (line: string) => { logs.push(line) } }),
    config: { ...defaults, ...config, query: { ...defaults.query, ...query } },
    buildInfo: { version: '0' },
    search: { localSearch: local, compile: fakeCompile, parseTagRef: fakeParseTagRef },
    clock,
    ...extra,
  })
  const get = (path: string, headers: Record<string, string> = {}, signal?: AbortSignal) => app.request(new Request(`http://localhost${path}`, { headers, signal }))
  return { app, get, local, readiness, clock, logs }
}

const body = async (res: Response) => JSON.parse(await res.text()) as Record<string, unknown>

describe('search API: /api/search', () => {
  it('answers Tempo\'s JSON, newest first, from this node', async () => {
    const { get, local } = setup()
    const res = await get('/api/search?limit=5&spss=2')
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
    assert.equal(await res.text(), '{"traces":[{"traceID":"2","rootServiceName":"svc","rootTraceName":"GET /","startTimeUnixNano":"20"},' +
      '{"traceID":"1","rootServiceName":"svc","rootTraceName":"GET /","startTimeUnixNano":"10","durationMs":1}],"metrics":{"inspectedTraces":2,"inspectedBytes":"200"}}')
    assert.equal(local.calls.length, 1)
    assert.deepEqual(local.calls[0]?.request, { query: '{}', window: {}, limit: 5, spss: 2 })
    assert.ok(local.calls[0]?.signal instanceof AbortSignal)
  })

  it('answers 400 with Tempo\'s text for bad parameters', async () => {
    const { get } = setup()
    const cases: [string, string][] = [
      ['/api/search?q={}&tags=a%3Db', "invalid request: can't specify tags and q in the same query"],
      ['/api/search?q=%7B%20nope', 'invalid TraceQL query: parse error at line 1, col 3: syntax error: { nope'],
      ['/api/search?spss=101', 'spans per span set exceeds 100. received 101'],
      ['/api/search?partial=maybe', 'invalid partial: strconv.ParseBool: parsing "maybe": invalid syntax'],
      ['/api/search/tags?scope=spam', 'invalid scope: spam'],
      ['/api/v2/search/tag/not%20valid/values', 'please provide a valid tagName: unexpected IDENTIFIER in not valid'],
    ]
    for (const [path, message] of cases) {
      const res = await get(path)
      assert.equal(res.status, 400, path)
      assert.equal(await res.text(), message)
    }
  })

  it('searches every tenant of a|b and merges; 401 without an org id', async () => {
    const { get, local } = setup({ multitenancy_enabled: true })
    local.traces.set('a', [match('1', 10n)])
    local.traces.set('b', [match('1', 10n), match('3', 30n)])
    assert.equal((await get('/api/search')).status, 401)
    const res = await body(await get('/api/search', { 'X-Scope-OrgID': 'b|a' }))
    assert.deepEqual((res.traces as { traceID: string }[]).map((t) => t.traceID), ['3', '1'])
    assert.deepEqual(local.calls.map((c) => c.tenant), ['a', 'b'])
    const only = await body(await get('/api/search', { 'X-Scope-OrgID': 'a' }))
    assert.equal((only.traces as unknown[]).length, 1)
  })

  it('honours http_api_prefix', async () => {
    const { get } = setup({ http_api_prefix: '/tempo' })
    assert.equal((await get('/tempo/api/search')).status, 200)
    assert.equal((await get('/tempo/api/v2/search/tags')).status, 200)
    assert.equal((await get('/api/search')).status, 404)
  })

  it('answers 503 while starting and marks answers PARTIAL while catching up', async () => {
    const { get, readiness } = setup()
    readiness.current = 'starting'
    readiness.why = 'live-store is starting'
    const starting = await get('/api/search')
    assert.equal(starting.status, 503)
    assert.equal(await starting.text(), 'live-store is starting')
    readiness.current = 'catching-up'
    readiness.why = 'live-store is catching up: lag 12s'
    const res = await get('/api/search')
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('x-livestore-partial'), 'live-store is catching up: lag 12s')
    const json = await body(res)
    assert.deepEqual([json.status, json.message, json.missingPartitions], ['PARTIAL', 'live-store is catching up: lag 12s', undefined])
  })

  it('is not served without a search engine', async () => {
    const { get } = setup({}, {}, { search: undefined })
    assert.equal((await get('/api/search')).status, 404)
    assert.equal((await get('/api/v2/search/tags')).status, 404)
  })
})

describe('search API: tags and tag values', () => {
  it('v1 tags: attribute names of every scope but the intrinsics, unless asked for', async () => {
    const { get, local } = setup()
    assert.equal(await (await get('/api/search/tags')).text(), '{"tagNames":["http.method","service.name"],"metrics":{}}')
    assert.equal(await (await get('/api/search/tags?scope=intrinsic')).text(), '{"tagNames":["name","status"],"metrics":{}}')
    assert.deepEqual(local.calls.map((c) => c.request), [{ window: {} }, { window: {}, scope: 'intrinsic' }])
  })

  it('v2 tags: scopes in Tempo\'s order; limit caps each scope; q filters', async () => {
    const { get, local } = setup()
    assert.equal(await (await get('/api/v2/search/tags')).text(),
      '{"scopes":[{"name":"resource","tags":["service.name"]},{"name":"span","tags":["http.method"]},{"name":"intrinsic","tags":["name","status"]}],"metrics":{}}')
    const capped = await body(await get(`/api/v2/search/tags?scope=intrinsic&limit=1&q=${encodeURIComponent('{ .a = 1 }')}`))
    assert.deepEqual(capped.scopes, [{ name: 'intrinsic', tags: ['name'] }])
    assert.equal((local.calls[1]?.request as { filter?: { query: string } }).filter?.query, '{ .a = 1 }')
  })

  it('tag values: v1 strings, v2 typed, the v2 name parsed as TraceQL', async () => {
    const { get, local } = setup()
    assert.equal(await (await get('/api/search/tag/service.name/values')).text(), '{"tagValues":["7","api"],"metrics":{}}')
    assert.equal(await (await get('/api/v2/search/tag/resource.service.name/values?limit=5')).text(),
      '{"tagValues":[{"type":"int","value":"7"},{"type":"string","value":"api"}],"metrics":{}}')
    assert.deepEqual(local.calls.map((c) => (c.request as { tag: unknown }).tag), [{ scope: 'any', name: 'service.name' }, { scope: 'resource', name: 'service.name' }])
    assert.equal((local.calls[1]?.request as { limit: number }).limit, 5)
  })
})

describe('search API: limits, deadline and cancellation', () => {
  it('answers 429 "too many outstanding requests" above query.max_concurrent_searches', async () => {
    const { get, local } = setup({}, { max_concurrent_searches: 1 })
    let release = (): void => {}
    local.delay = new Promise<void>((resolve) => { release = resolve })
    const first = get('/api/search')
    await flush()
    const second = await get('/api/v2/search/tags')
    assert.equal(second.status, 429)
    assert.equal(await second.text(), 'too many outstanding requests')
    release()
    assert.equal((await first).status, 200)
    local.delay = undefined
    assert.equal((await get('/api/search')).status, 200, 'the slot is given back')
  })

  it('fails with 500 at query.search_timeout and aborts the local search', async () => {
    const { get, local, clock, logs } = setup({}, { search_timeout: 5000 })
    local.delay = new Promise<void>(() => {})
    const pending = get('/api/search')
    await advance(clock, 4990, 10)
    await advance(clock, 20, 10)
    const res = await pending
    assert.equal(res.status, 500)
    assert.equal(await res.text(), 'context deadline exceeded: no answer within 5s (query.search_timeout)')
    assert.ok(local.calls[0]?.signal.aborted, 'the search was told to stop')
    assert.match(logs[0] ?? '', /context deadline exceeded/)
    assert.equal(clock.pendingTimers, 0)
  })

  it('answers 499 with no body when the client goes away, and stops the search', async () => {
    const { get, local, clock } = setup()
    local.delay = new Promise<void>(() => {})
    const ac = new AbortController()
    const pending = get('/api/search', {}, ac.signal)
    await flush()
    ac.abort(new Error('client closed'))
    const res = await pending
    assert.equal(res.status, 499)
    assert.equal(await res.text(), '')
    assert.ok(local.calls[0]?.signal.aborted)
    assert.equal(clock.pendingTimers, 0)
  })
})

describe('search API in cluster mode', () => {
  const MISSING = [{ partition: 3, reason: 'b-1: connection refused' }]
  const MISSING_TEXT = 'partition 3 has no reachable owner (b-1: connection refused)'

  function clusterSetup (partial: { missing?: typeof MISSING, incomplete?: string[] }, query: Partial<QueryConfig['query']> = {}) {
    const calls: { tenants: readonly string[], signal: AbortSignal | undefined }[] = []
    const rest = { missing: partial.missing ?? [], incomplete: partial.incomplete ?? [] }
    const clusterSearch: ClusterSearch = {
      search: async (tenants, _c, _r, options) => { calls.push({ tenants, signal: options?.signal }); return { result: { traces: [match('1', 1n)], metrics: { inspectedTraces: 1, inspectedBytes: 0n, inspectedSpans: 0n, totalBlocks: 0, completedJobs: 0, totalJobs: 0, totalBlockBytes: 0n } }, ...rest } },
      tagNames: async () => ({ scopes: new Map([['span', new Set(['x'])]]), ...rest }),
      tagValues: async () => ({ values: [{ type: 'string', value: 'v' }], ...rest }),
    }
    return { ...setup({}, query, { clusterSearch }), calls }
  }

  it('asks the cluster, not only this node', async () => {
    const { get, calls, local } = clusterSetup({})
    const res = await get('/api/search')
    assert.equal(res.status, 200)
    assert.deepEqual((await body(res)).traces, [{ traceID: '1', rootServiceName: 'svc', rootTraceName: 'GET /', startTimeUnixNano: '1', durationMs: 1 }])
    assert.deepEqual(calls[0]?.tenants, ['single-tenant'])
    assert.equal(local.calls.length, 0)
  })

  it('fails with 500 naming missing partitions; ?partial=true answers 200 PARTIAL with them', async () => {
    const { get } = clusterSetup({ missing: MISSING })
    for (const path of ['/api/search', '/api/search/tags', '/api/v2/search/tag/.x/values']) {
      const res = await get(path)
      assert.equal(res.status, 500, path)
      assert.equal(await res.text(), MISSING_TEXT)
    }
    const res = await get('/api/search?partial=true')
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('x-livestore-partial'), MISSING_TEXT)
    assert.equal(res.headers.get('x-livestore-missing-partitions'), '3')
    const json = await body(res)
    assert.deepEqual([json.status, json.message, json.missingPartitions], ['PARTIAL', MISSING_TEXT, [3]])
    assert.equal(await (await get('/api/v2/search/tags?partial=1')).text(),
      `{"scopes":[{"name":"span","tags":["x"]}],"metrics":{},"status":"PARTIAL","message":${JSON.stringify(MISSING_TEXT)},"missingPartitions":[3]}`)
  })

  it('query.partial_results makes partial the default', async () => {
    const { get } = clusterSetup({ missing: MISSING }, { partial_results: true })
    assert.equal((await get('/api/search/tag/x/values')).status, 200)
    assert.equal((await get('/api/search/tag/x/values?partial=false')).status, 500)
  })

  it('marks answers from owners catching up as PARTIAL', async () => {
    const { get } = clusterSetup({ incomplete: ['partition 0 from a-1: lag 3s'] })
    const res = await get('/api/search/tag/x/values')
    assert.equal(res.headers.get('x-livestore-partial'), 'partition 0 from a-1: lag 3s')
    assert.equal(await res.text(), '{"tagValues":["v"],"metrics":{},"status":"PARTIAL","message":"partition 0 from a-1: lag 3s"}')
  })
})

describe('search API over a small in-memory cluster', () => {
  it('merges the owners\' answers through the real fan-out, protocol and handler', async () => {
    // a-1 is this node (partition 0, zone a); b-1 owns partitions 0 and 1 in zone b; a-2 owns partition 1 in zone a.
    const locals = { 'a-1': new FakeLocalSearch(), 'a-2': new FakeLocalSearch(), 'b-1': new FakeLocalSearch() }
    locals['a-1'].traces.set('single-tenant', [match('1', 10n), match('2', 20n)])
    locals['a-2'].traces.set('single-tenant', [match('2', 20n), match('3', 30n)])
    locals['b-1'].traces.set('single-tenant', [match('9', 90n)])
    const readiness = fakeReadiness()
    const handlers = Object.fromEntries(Object.entries(locals).map(([id, l]) => [id, createInternalQueryHandler({ finder: { findTraceById: () => null }, readiness, localSearch: l, compile: fakeCompile })]))
    const asked: string[] = []
    const clock = new ManualClock()
    const clusterSearch = new ClusterSearcher({
      view: fakeView('a-1', 'a', { 0: [owner('a-1', 'a'), owner('b-1', 'b')], 1: [owner('b-1', 'b'), owner('a-2', 'a')] }),
      ask: async (nodeId, request) => { asked.push(nodeId); return await handlers[nodeId]!('a-1', request) },
      local: createNodeSearch({ localSearch: locals['a-1'], readiness }),
      clock,
      hedgeAfterMs: 100,
      timeoutMs: 30_000,
    })
    const defaults = defaultsOf(querySchema)
    const app = createQueryApp({
      store: { findTraceById: () => null }, readiness, registry: new Registry(), logger: pino({ level: 'silent' }), config: defaults, buildInfo: { version: '0' },
      search: { localSearch: locals['a-1'], compile: fakeCompile, parseTagRef: fakeParseTagRef }, clusterSearch, clock,
    })
    const res = await app.request('http://localhost/api/search')
    assert.equal(res.status, 200)
    assert.deepEqual(((await body(res)).traces as { traceID: string }[]).map((t) => t.traceID), ['3', '2', '1'])
    assert.deepEqual(asked, ['a-2'], 'partition 0 answered locally, partition 1 by its zone-a owner')
    assert.equal(clock.pendingTimers, 0)
  })
})

describe('search API over real HTTP', () => {
  let server: ServerType
  let port = 0
  const ctx = setup()

  before(async () => {
    ctx.local.traces.set('single-tenant', Array.from({ length: 50 }, (_, i) => match((i + 1).toString(16), BigInt(i), { rootTraceName: `operation-number-${i}` })))
    await new Promise<void>((resolve) => {
      server = serve({ fetch: ctx.app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => { port = info.port; resolve() })
    })
  })
  after(() => new Promise<void>((resolve) => { server.close(() => resolve()) }))

  it('gzips the answer when the client accepts gzip', async () => {
    const res = await new Promise<{ status: number, encoding: string | undefined, body: Buffer }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/api/search?limit=50', headers: { 'accept-encoding': 'gzip' } }, (r) => {
        const chunks: Buffer[] = []
        r.on('data', (c: Buffer) => chunks.push(c))
        r.on('end', () => resolve({ status: r.statusCode ?? 0, encoding: r.headers['content-encoding'], body: Buffer.concat(chunks) }))
        r.on('error', reject)
      })
      req.on('error', reject)
      req.end()
    })
    assert.equal(res.status, 200)
    assert.equal(res.encoding, 'gzip')
    const json = JSON.parse(gunzipSync(res.body).toString()) as { traces: { rootTraceName: string }[] }
    assert.equal(json.traces.length, 50)
    assert.equal(json.traces[0]?.rootTraceName, 'operation-number-49')
  })
})
