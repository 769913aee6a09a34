import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { encodeTracesProto, splitRequestByTrace } from '../../common/otlp/index.ts'
import type { Span, TracesData } from '../../common/otlp/model.ts'
import { span as fixtureSpan } from '../../common/otlp/testing/model-fixture.ts'
import { eventually, startNode } from '../helpers/node.ts'

/** Multitenancy (X-Scope-OrgID, Tempo semantics) and the per-tenant limits, through a whole node. */
let counter = 1
function span (traceNo: number, name = `op-${counter}`): Span {
  const traceId = Buffer.alloc(16); traceId.writeUInt32BE(traceNo, 12); traceId[0] = 0xcd
  const spanId = Buffer.alloc(8); spanId.writeUInt32BE(counter++, 4)
  return fixtureSpan({ traceId, spanId, name, kind: 1 })
}
const request = (spans: Span[]): TracesData => ({ resourceSpans: [{ resource: null, scopeSpans: [{ scope: null, spans, schemaUrl: '' }], schemaUrl: '' }] })
const hex = (s: Span): string => s.traceId.toString('hex')

describe('tenancy and limits', () => {
  it('isolates tenants and requires X-Scope-OrgID when multitenancy is on', async () => {
    const n = await startNode({ multitenancy_enabled: 'true' })
    try {
      const s = span(1)
      const body = encodeTracesProto(request([s]))
      const noOrg = await fetch(`${n.otlp}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } })
      assert.equal(noOrg.status, 401)
      const ok = await fetch(`${n.otlp}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf', 'X-Scope-OrgID': 'team-a' } })
      assert.equal(ok.status, 200)
      await eventually(async () => (await fetch(`${n.api}/api/traces/${hex(s)}`, { headers: { 'X-Scope-OrgID': 'team-a' } })).status === 200 ? true : null)
      assert.equal((await fetch(`${n.api}/api/traces/${hex(s)}`, { headers: { 'X-Scope-OrgID': 'team-b' } })).status, 404)
      assert.deepEqual(await (await fetch(`${n.api}/api/v2/traces/${hex(s)}`, { headers: { 'X-Scope-OrgID': 'team-b' } })).json(), { trace: {} })
      const anonymous = await fetch(`${n.api}/api/traces/${hex(s)}`)
      assert.equal(anonymous.status, 401)
      assert.equal((await anonymous.text()).trim(), 'no org id')
    } finally { await n.stop() }
  })

  it('refuses exactly the spans over max_traces_per_user and max_bytes_per_trace, and counts them', async () => {
    const big = span(100, 'x'.repeat(200))
    // The store counts each trace's fragment of a record: room for two such fragments, not three.
    const fragment = splitRequestByTrace(encodeTracesProto(request([big]))).traces[0]?.request.length ?? 0
    const limit = fragment * 2 + 10
    const n = await startNode({ 'overrides.max_traces_per_user': '3', 'overrides.max_bytes_per_trace': String(limit) })
    try {
      const send = async (spans: Span[]): Promise<void> => {
        const res = await fetch(`${n.otlp}/v1/traces`, { method: 'POST', body: encodeTracesProto(request(spans)), headers: { 'content-type': 'application/x-protobuf' } })
        assert.equal(res.status, 200, 'limits are applied by the live-store, never reported back to the writer')
      }
      // Trace 100: three big spans in three requests; the third crosses the byte limit.
      await send([big])
      await send([span(100, 'x'.repeat(200))])
      await send([span(100, 'x'.repeat(200))])
      // Traces 101, 102 fill the tenant up to 3 live traces; 103 and 104 (2 spans) are refused.
      await send([span(101), span(102)])
      await send([span(103), span(104), span(104)])
      const discarded = async (reason: string): Promise<number> => {
        const text = await n.registry.getSingleMetricAsString('tempo_discarded_spans_total')
        return Number(text.split('\n').find((l) => l.includes(`reason="${reason}"`))?.split(' ').pop() ?? 0)
      }
      await eventually(async () => (await discarded('live_traces_exceeded')) === 3 ? true : null, 15_000, 'live_traces_exceeded = 3')
      assert.equal(await discarded('trace_too_large'), 1)
      const t100 = await (await fetch(`${n.api}/api/v2/traces/${hex(big)}`)).json() as { trace: { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] } }
      assert.equal(t100.trace.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)).length, 2)
      assert.equal((await fetch(`${n.api}/api/traces/${hex(span(103))}`)).status, 404)
    } finally { await n.stop() }
  })
})
