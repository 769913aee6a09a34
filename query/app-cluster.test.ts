/**
 * The query API in cluster mode: trace by id through a `ClusterFinder` (fan-out over the ring),
 * missing partitions → 500 or, with `partial`, 200 PARTIAL; owners catching up → PARTIAL.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { defaultsOf } from '../common/config-schema.ts'
import { decodeTracesProto } from '../common/otlp/decode-proto.ts'
import { ProtoReader } from '../common/otlp/proto-reader.ts'
import type { ReadinessState } from '../common/readiness.ts'
import { overridesSchema } from '../store/config.ts'
import { TraceStore } from '../store/store.ts'
import { batch, makeSpan, spansOf, tracesData } from '../store/testing.ts'
import { ManualClock } from '../test/fakes/clock.ts'
import { createQueryApp } from './app.ts'
import { ClusterTraceFinder } from './cluster/fanout.ts'
import { createInternalQueryHandler, createLocalTraceLookup } from './cluster/handler.ts'
import { fakeView, owner } from './cluster/testing.ts'
import type { ClusterFinder, ClusterTraceResult } from './cluster/types.ts'
import { querySchema } from './config.ts'
import type { QueryConfig } from './config.ts'

const ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90'
const trace = (...spans: string[]) => tracesData(batch('svc', spans.map((s) => makeSpan(ID, s))))

function fakeReadiness (state: ReadinessState = 'ready', reason = '') {
  const r = { current: state, why: reason, state: () => r.current, reason: () => r.why }
  return r
}

function newStore (): TraceStore {
  return new TraceStore({ limits: defaultsOf(overridesSchema), clock: new ManualClock(), registry: new Registry() })
}

/** An app whose cluster finder answers `result` and records its calls. */
function setup (result: Partial<ClusterTraceResult>, config: Partial<QueryConfig['query']> = {}, top: Partial<QueryConfig> = {}) {
  const calls: { tenants: readonly string[], traceId: Buffer, signal: AbortSignal | undefined }[] = []
  const cluster: ClusterFinder = {
    findTraceById: async (tenants, traceId, options) => {
      calls.push({ tenants, traceId, signal: options?.signal })
      return { trace: null, missing: [], incomplete: [], ...result }
    },
  }
  const readiness = fakeReadiness()
  const logs: string[] = []
  const defaults = defaultsOf(querySchema)
  const app = createQueryApp({
    store: newStore(),
    cluster,
    readiness,
    registry: new Registry(),
    logger: pino({ level: 'info' }, { write: (line: string) => { logs.push(line) } }),
    config: { ...defaults, ...top, query: { ...defaults.query, ...config } },
    buildInfo: { version: '0.1.0' },
  })
  const get = (path: string, headers: Record<string, string> = {}) => app.request(`http://localhost${path}`, { headers })
  return { app, get, calls, readiness, logs }
}

const MISSING = [{ partition: 3, reason: 'b-1: connection refused, a-1: unhealthy' }]
const MISSING_TEXT = 'partition 3 has no reachable owner (b-1: connection refused, a-1: unhealthy)'

describe('query API in cluster mode', () => {
  it('answers from the cluster finder, not the local store, with the request\'s tenants and a signal', async () => {
    const { get, calls } = setup({ trace: trace('1', '2') }, {}, { multitenancy_enabled: true })
    const res = await get(`/api/traces/${ID}`, { 'X-Scope-OrgID': 'b|a' })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('x-livestore-partial'), null)
    assert.equal(calls.length, 1)
    assert.deepEqual(calls[0]?.tenants, ['a', 'b'])
    assert.equal(calls[0]?.traceId.toString('hex'), ID)
    assert.ok(calls[0]?.signal instanceof AbortSignal, 'a per-request signal')
    const v2 = await (await get(`/api/v2/traces/${ID}`, { 'X-Scope-OrgID': 'a' })).json() as Record<string, unknown>
    assert.deepEqual(Object.keys(v2), ['trace'])
  })

  it('fails with 500 naming the partition when a partition has no reachable owner', async () => {
    const { get, logs } = setup({ trace: trace('1'), missing: MISSING })
    for (const path of [`/api/traces/${ID}`, `/api/v2/traces/${ID}`]) {
      const res = await get(path)
      assert.equal(res.status, 500, path)
      assert.equal(await res.text(), MISSING_TEXT)
    }
    assert.match(logs[0] ?? '', /partition 3 has no reachable owner/)
  })

  it('names every missing partition', async () => {
    const { get } = setup({ missing: [{ partition: 1, reason: 'no owner in the ring' }, ...MISSING] })
    assert.equal(await (await get(`/api/traces/${ID}`)).text(), `partition 1 has no reachable owner (no owner in the ring); ${MISSING_TEXT}`)
  })

  it('?partial=true answers 200 PARTIAL with the missing partitions (v2 JSON fields, v1 headers)', async () => {
    const { get } = setup({ trace: trace('1'), missing: MISSING })
    const v2 = await get(`/api/v2/traces/${ID}?partial=true`)
    assert.equal(v2.status, 200)
    const body = await v2.json() as { trace: { resourceSpans: unknown[] }, status: string, message: string, missingPartitions: number[] }
    assert.deepEqual(Object.keys(body), ['trace', 'status', 'message', 'missingPartitions'])
    assert.equal(body.trace.resourceSpans.length, 1)
    assert.equal(body.status, 'PARTIAL')
    assert.equal(body.message, MISSING_TEXT)
    assert.deepEqual(body.missingPartitions, [3])
    const v1 = await get(`/api/traces/${ID}?partial=true`)
    assert.equal(v1.status, 200)
    assert.equal(v1.headers.get('x-livestore-partial'), MISSING_TEXT)
    assert.equal(v1.headers.get('x-livestore-missing-partitions'), '3')
  })

  it('?partial=true with nothing found: v1 404 with the partial headers, v2 {"trace":{}} PARTIAL', async () => {
    const { get } = setup({ missing: MISSING })
    const v1 = await get(`/api/traces/${ID}?partial=1`)
    assert.equal(v1.status, 404)
    assert.equal(await v1.text(), '')
    assert.equal(v1.headers.get('x-livestore-missing-partitions'), '3')
    const v2 = await get(`/api/v2/traces/${ID}?partial=true`)
    assert.equal(await v2.text(), `{"trace":{},"status":"PARTIAL","message":${JSON.stringify(MISSING_TEXT)},"missingPartitions":[3]}`)
  })

  it('query.partial_results makes partial the default; ?partial=false still fails', async () => {
    const { get } = setup({ trace: trace('1'), missing: MISSING }, { partial_results: true })
    assert.equal((await get(`/api/traces/${ID}`)).status, 200)
    assert.equal((await get(`/api/traces/${ID}?partial=false`)).status, 500)
  })

  it('answers 400 to an invalid partial value', async () => {
    const { get } = setup({})
    const res = await get(`/api/traces/${ID}?partial=maybe`)
    assert.equal(res.status, 400)
    assert.equal(await res.text(), 'invalid partial: strconv.ParseBool: parsing "maybe": invalid syntax')
  })

  it('marks answers from owners still catching up as PARTIAL (v2 status and message, v1 header), without missingPartitions', async () => {
    const incomplete = ['partition 0 from a-1: live-store is catching up: lag 12s']
    const { get } = setup({ trace: trace('1'), incomplete })
    const v2 = await (await get(`/api/v2/traces/${ID}`)).json() as Record<string, unknown>
    assert.deepEqual({ status: v2.status, message: v2.message, missing: v2.missingPartitions }, { status: 'PARTIAL', message: incomplete[0], missing: undefined })
    const v1 = await get(`/api/traces/${ID}`)
    assert.equal(v1.status, 200)
    assert.equal(v1.headers.get('x-livestore-partial'), incomplete[0])
    assert.equal(v1.headers.get('x-livestore-missing-partitions'), null)
  })

  it('joins missing partitions and incomplete owners into one message', async () => {
    const { get } = setup({ trace: trace('1'), missing: MISSING, incomplete: ['partition 0 from a-1: replaying'] })
    const v2 = await (await get(`/api/v2/traces/${ID}?partial=true`)).json() as Record<string, unknown>
    assert.equal(v2.message, `${MISSING_TEXT}; partition 0 from a-1: replaying`)
  })

  it('sets status PARTIAL (3) and message (4) in the v2 protobuf answer', async () => {
    const { get } = setup({ trace: trace('1'), incomplete: ['replaying'] })
    const bytes = Buffer.from(await (await get(`/api/v2/traces/${ID}`, { accept: 'application/protobuf' })).arrayBuffer())
    const r = new ProtoReader(bytes)
    assert.equal(r.uint32(bytes.length), (1 << 3) | 2)
    assert.equal(spansOf(decodeTracesProto(r.bytes(bytes.length))).length, 1)
    assert.equal(r.uint32(bytes.length), 3 << 3)
    assert.equal(r.uint32(bytes.length), 1)
    assert.equal(r.uint32(bytes.length), (4 << 3) | 2)
    assert.equal(r.bytes(bytes.length).toString(), 'replaying')
    assert.equal(r.pos, bytes.length)
  })

  it('keeps header values printable ASCII whatever a peer\'s error says', async () => {
    const { get } = setup({ trace: trace('1'), missing: [{ partition: 0, reason: 'a-1: kaputt\nüber' }] })
    const v1 = await get(`/api/traces/${ID}?partial=true`)
    assert.equal(v1.headers.get('x-livestore-partial'), 'partition 0 has no reachable owner (a-1: kaputt??ber)')
  })

  it('a node catching up answers for the cluster without marking it PARTIAL itself; starting still answers 503', async () => {
    const { get, readiness, calls } = setup({ trace: trace('1') })
    readiness.current = 'catching-up'
    readiness.why = 'live-store is catching up: lag 3s'
    const v1 = await get(`/api/traces/${ID}`)
    assert.equal(v1.status, 200)
    assert.equal(v1.headers.get('x-livestore-partial'), null)
    assert.deepEqual(Object.keys(await (await get(`/api/v2/traces/${ID}`)).json() as object), ['trace'])
    readiness.current = 'starting'
    readiness.why = 'live-store is starting'
    assert.equal((await get(`/api/traces/${ID}`)).status, 503)
    assert.equal(calls.length, 2)
  })

  it('does not fan out in modes blocks and external', async () => {
    const { get, calls } = setup({ trace: trace('1') })
    assert.equal((await get(`/api/traces/${ID}?mode=blocks`)).status, 404)
    assert.equal((await get(`/api/traces/${ID}?mode=external`)).status, 404)
    assert.equal(calls.length, 0)
  })
})

describe('query API over a small in-memory cluster', () => {
  it('merges the owners\' stores through the real fan-out and protocol, each span once', async () => {
    // a-1 is this node (partition 0, zone a); b-1 owns partitions 0 and 1 in zone b; a-2 owns partition 1 in zone a.
    const stores = { 'a-1': newStore(), 'a-2': newStore(), 'b-1': newStore() }
    stores['a-1'].push('single-tenant', trace('1', '2'))
    stores['a-2'].push('single-tenant', trace('2', '3'))
    stores['b-1'].push('single-tenant', trace('9'))
    const handlers = Object.fromEntries(Object.entries(stores).map(([id, store]) => [id, createInternalQueryHandler({ finder: store, readiness: fakeReadiness() })]))
    const asked: string[] = []
    const clock = new ManualClock()
    const readiness = fakeReadiness()
    const cluster = new ClusterTraceFinder({
      view: fakeView('a-1', 'a', { 0: [owner('a-1', 'a'), owner('b-1', 'b')], 1: [owner('b-1', 'b'), owner('a-2', 'a')] }),
      ask: async (nodeId, request) => { asked.push(nodeId); return await handlers[nodeId]!('a-1', request) },
      local: createLocalTraceLookup({ finder: stores['a-1'], readiness }),
      clock,
      hedgeAfterMs: 100,
      timeoutMs: 10_000,
    })
    const defaults = defaultsOf(querySchema)
    const app = createQueryApp({ store: stores['a-1'], cluster, readiness, registry: new Registry(), logger: pino({ level: 'silent' }), config: defaults, buildInfo: { version: '0' } })
    const res = await app.request(`http://localhost/api/v2/traces/${ID}`)
    assert.equal(res.status, 200)
    const body = await res.json() as { trace: { resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[] } }
    assert.deepEqual(body.trace.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.name))).sort(), ['span-1', 'span-2', 'span-3'])
    assert.deepEqual(asked, ['a-2'], 'partition 0 answered locally, partition 1 by its zone-a owner')
    assert.equal(clock.pendingTimers, 0)
  })
})
