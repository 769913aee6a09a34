import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { encodeTracesProto } from '../../common/otlp/index.ts'
import type { KeyValue, Span } from '../../common/otlp/model.ts'
import { span, traces } from '../../common/otlp/testing/model-fixture.ts'
import { eventually, startNode } from '../helpers/node.ts'
import type { TestNode } from '../helpers/node.ts'

/**
 * Search through a whole node over real HTTP (issue 6): a span sent over OTLP is found by
 * `/api/search` while it is still in memory (long `max_trace_idle`, so no block holds it yet),
 * and, on a node that flushes quickly, once it is in blocks; a trace whose pieces sit in a
 * block and in memory is matched as one trace; bad queries get 400 with the parser's text.
 */
interface SearchJson {
  traces?: { traceID: string, rootServiceName: string, rootTraceName?: string, startTimeUnixNano: string, durationMs?: number, spanSets?: { spans: { spanID: string, name?: string }[], matched: number }[] }[]
  metrics?: Record<string, unknown>
}

const str = (key: string, value: string): KeyValue => ({ key, value: { kind: 'string', value } })

function probeSpans (traceId: Buffer, probe: string, extra: Partial<Span> = {}): Span[] {
  const now = BigInt(Date.now()) * 1_000_000n
  const root = span({ traceId, spanId: randomBytes(8), name: 'GET /checkout', kind: 2, startTimeUnixNano: now, endTimeUnixNano: now + 50_000_000n, attributes: [str('probe.id', probe)] })
  const child = span({ traceId, spanId: randomBytes(8), parentSpanId: root.spanId, name: 'SELECT orders', kind: 3, startTimeUnixNano: now + 1_000_000n, endTimeUnixNano: now + 21_000_000n, status: { code: 2, message: 'boom' }, ...extra })
  return [root, child]
}

async function send (node: TestNode, spans: Span[]): Promise<void> {
  const res = await fetch(`${node.otlp}/v1/traces`, { method: 'POST', body: encodeTracesProto(traces(spans)), headers: { 'content-type': 'application/x-protobuf' } })
  assert.equal(res.status, 200, await res.text())
}

async function search (node: TestNode, q: string, params = ''): Promise<{ status: number, json: SearchJson, text: string }> {
  const res = await fetch(`${node.api}/api/search?q=${encodeURIComponent(q)}${params}`)
  const text = await res.text()
  return { status: res.status, json: res.status === 200 ? JSON.parse(text) as SearchJson : {}, text }
}

const trimmed = (id: Buffer): string => id.toString('hex').replace(/^0+/, '')

describe('search on one node', () => {
  describe('while traces are in memory', () => {
    let node: TestNode
    before(async () => { node = await startNode({ 'live_store.max_trace_idle': '10m', 'live_store.max_trace_live': '10m' }) })
    after(async () => { await node.stop() })

    it('finds a span sent over OTLP before any flush, with Tempo fields', async () => {
      const traceId = randomBytes(16)
      const probe = randomBytes(6).toString('hex')
      await send(node, probeSpans(traceId, probe))
      const found = await eventually(async () => {
        const r = await search(node, `{ span.probe.id = "${probe}" }`)
        assert.equal(r.status, 200, r.text)
        return r.json.traces?.length === 1 ? r.json.traces[0] : null
      }, 10_000, 'the probe span to become searchable')
      assert.equal(found.traceID, trimmed(traceId))
      assert.equal(found.rootServiceName, 'api')
      assert.equal(found.rootTraceName, 'GET /checkout')
      assert.equal(found.durationMs, 50)
      assert.match(found.startTimeUnixNano, /^\d+$/)
      assert.equal(found.spanSets?.[0]?.matched, 1)
      // The structural and pipeline forms over the same trace.
      const structural = await search(node, `{ span.probe.id = "${probe}" } > { status = error && kind = client }`)
      assert.equal(structural.json.traces?.length, 1, structural.text)
      assert.equal(structural.json.traces?.[0]?.spanSets?.[0]?.spans[0]?.name, 'SELECT orders')
      const none = await search(node, `{ span.probe.id = "${probe}" } | count() > 1`)
      assert.equal(none.json.traces?.length ?? 0, 0, none.text)
    })

    it('answers a bad query with 400 and the parser\'s position', async () => {
      const r = await search(node, '{ span.x = }')
      assert.equal(r.status, 400)
      assert.match(r.text, /col(umn)? \d+/i)
      const both = await fetch(`${node.api}/api/search?q=${encodeURIComponent('{}')}&tags=a%3Db`)
      assert.equal(both.status, 400)
      assert.equal(await both.text(), "invalid request: can't specify tags and q in the same query")
    })
  })

  describe('once traces are in blocks', () => {
    let node: TestNode
    before(async () => { node = await startNode({ 'live_store.max_trace_idle': '200ms', 'live_store.flush_check_period': '100ms' }) })
    after(async () => { await node.stop() })

    it('matches a trace split between a block and memory as one trace', async () => {
      const traceId = randomBytes(16)
      const probe = randomBytes(6).toString('hex')
      const [root, child] = probeSpans(traceId, probe, { attributes: [str('piece', 'late')] })
      await send(node, [root!])
      // The root reaches a block (flushed after the short idle time) before the child is sent.
      await eventually(async () => {
        const m = await (await fetch(`${node.api}/metrics`)).text()
        const created = /^tempo_live_store_traces_created_total\{[^}]*\} (\d+)/m.exec(m)
        return created !== null && Number(created[1]) >= 1 ? true : null
      }, 10_000, 'the first piece to be flushed')
      await send(node, [child!])
      const q = `{ span.probe.id = "${probe}" } && { span.piece = "late" }`
      const found = await eventually(async () => {
        const r = await search(node, q)
        assert.equal(r.status, 200, r.text)
        return r.json.traces?.length === 1 ? r.json.traces[0] : null
      }, 10_000, 'the two pieces to match as one trace')
      assert.equal(found.traceID, trimmed(traceId))
      assert.equal(found.rootTraceName, 'GET /checkout')
    })
  })
})
