import assert from 'node:assert/strict'
import { gzipSync } from 'node:zlib'
import { after, before, describe, it } from 'node:test'
import { encodeTracesJson, encodeTracesProto } from '../../common/otlp/index.ts'
import type { Span, TracesData } from '../../common/otlp/model.ts'
import { span as fixtureSpan } from '../../common/otlp/testing/model-fixture.ts'
import { kafkaClient } from '../helpers/broker.ts'
import { eventually, startNode } from '../helpers/node.ts'
import type { TestNode } from '../helpers/node.ts'

/**
 * Bad input on the write path gets its documented answer, is counted, and never loses data that
 * was accepted before or after it: malformed protobuf and JSON, wrong content types, oversized
 * bodies and gzip bombs, invalid ids, and garbage records written straight to the topic.
 */
let counter = 1
function span (overrides: Partial<Span> = {}): Span {
  const n = counter++
  const traceId = Buffer.alloc(16); traceId.writeUInt32BE(n, 12); traceId[0] = 0xab
  const spanId = Buffer.alloc(8); spanId.writeUInt32BE(n, 4)
  return fixtureSpan({ traceId, spanId, name: `op-${n}`, kind: 2, ...overrides })
}
const request = (...spans: Span[]): TracesData => ({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { kind: 'string', value: 'bad-input' } }], droppedAttributesCount: 0 }, scopeSpans: [{ scope: null, spans, schemaUrl: '' }], schemaUrl: '' }] })

async function post (n: TestNode, body: Uint8Array | string, headers: Record<string, string>): Promise<Response> {
  return await fetch(`${n.otlp}/v1/traces`, { method: 'POST', body, headers })
}
const PROTO = { 'content-type': 'application/x-protobuf' }
const JSON_CT = { 'content-type': 'application/json' }

async function metric (n: TestNode, name: string, labels: string): Promise<number> {
  const text = await n.registry.getSingleMetricAsString(name)
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels))
  return line === undefined ? 0 : Number(line.split(' ').pop())
}

async function traceIsServed (n: TestNode, s: Span): Promise<void> {
  await eventually(async () => (await fetch(`${n.api}/api/traces/${s.traceId.toString('hex')}`)).status === 200 ? true : null, 15_000, `trace ${s.name}`)
}

describe('bad input on the write path', () => {
  let n: TestNode
  const before1 = span()
  before(async () => {
    n = await startNode({ 'distributor.max_request_bytes': '64KiB' })
    assert.equal((await post(n, encodeTracesProto(request(before1)), PROTO)).status, 200)
  })
  after(async () => { await n?.stop() })

  it('answers malformed protobuf with 400 and a google.rpc.Status saying what is wrong', async () => {
    const res = await post(n, Buffer.from([0x0a, 0xff, 0xff, 0x03, 0x01]), PROTO)
    assert.equal(res.status, 400)
    assert.equal(res.headers.get('content-type'), 'application/x-protobuf')
    const body = Buffer.from(await res.arrayBuffer())
    assert.equal(body[0], 0x08)
    assert.equal(body[1], 3, 'gRPC INVALID_ARGUMENT')
    assert.match(body.toString('utf8'), /resource_spans|truncated|past the end/i)
  })

  it('answers malformed JSON with 400 and a JSON status naming the field', async () => {
    const bad = await post(n, '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz","spanId":"0102030405060708"}]}]}]}', JSON_CT)
    assert.equal(bad.status, 400)
    const body = await bad.json() as { code: number, message: string }
    assert.equal(body.code, 3)
    assert.match(body.message, /traceId/)
    const notJson = await post(n, '{"resourceSpans": [', JSON_CT)
    assert.equal(notJson.status, 400)
  })

  it('refuses other content types and encodings with 415', async () => {
    assert.equal((await post(n, 'hello', { 'content-type': 'text/plain' })).status, 415)
    assert.equal((await post(n, encodeTracesProto(request(span())), { ...PROTO, 'content-encoding': 'br' })).status, 415)
  })

  it('refuses oversized bodies and gzip bombs with 413', async () => {
    assert.equal((await post(n, Buffer.alloc(100 * 1024, 1), PROTO)).status, 413)
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0))
    assert.ok(bomb.length < 64 * 1024, 'the bomb itself is small')
    assert.equal((await post(n, bomb, { ...PROTO, 'content-encoding': 'gzip' })).status, 413)
    assert.equal((await post(n, Buffer.from('not gzip'), { ...PROTO, 'content-encoding': 'gzip' })).status, 400)
  })

  it('rejects spans with invalid ids as a partial success and counts them', async () => {
    const good = span()
    const res = await post(n, encodeTracesJson(request(good, span({ traceId: Buffer.alloc(16) }), span({ spanId: Buffer.alloc(8) })), { dialect: 'otlp' }), JSON_CT)
    assert.equal(res.status, 200)
    const body = await res.json() as { partialSuccess?: { rejectedSpans: string, errorMessage: string } }
    assert.equal(body.partialSuccess?.rejectedSpans, '2')
    assert.match(body.partialSuccess?.errorMessage ?? '', /invalid trace id/)
    assert.equal(await metric(n, 'tempo_discarded_spans_total', 'reason="invalid_trace_id"'), 1)
    assert.equal(await metric(n, 'tempo_discarded_spans_total', 'reason="invalid_span_id"'), 1)
    await traceIsServed(n, good)
  })

  it('drops garbage records on the topic, counts them, and keeps consuming', async () => {
    const producer = kafkaClient(`127.0.0.1:${n.node.broker?.address().port}`).producer()
    await producer.connect()
    await producer.send({ topic: n.config.kafka.topic, messages: [0, 1, 2, 3].map((p) => ({ partition: p, value: Buffer.from([0x0a, 0x05, 0xff]) })) })
    await producer.send({ topic: n.config.kafka.topic, messages: [{ partition: 0, value: '{"resourceSpans": 5}', headers: { 'content-type': 'application/json' } }] })
    await producer.disconnect()
    const after1 = span()
    assert.equal((await post(n, encodeTracesProto(request(after1)), PROTO)).status, 200)
    await traceIsServed(n, after1)
    await eventually(async () => (await metric(n, 'tempo_live_store_records_dropped_total', 'reason="decoding_failed"')) === 5 ? true : null, 10_000, 'drops counted')
    // Data accepted before the bad input is still served.
    await traceIsServed(n, before1)
  })

  it('accepts OpenTelemetry Collector records (no headers) as they are', async () => {
    const s = span()
    const producer = kafkaClient(`127.0.0.1:${n.node.broker?.address().port}`).producer()
    await producer.connect()
    await producer.send({ topic: n.config.kafka.topic, messages: [{ partition: 1, value: encodeTracesProto(request(s)) }] })
    const j = span()
    await producer.send({ topic: n.config.kafka.topic, messages: [{ partition: 2, value: encodeTracesJson(request(j), { dialect: 'otlp' }) }] })
    await producer.disconnect()
    await traceIsServed(n, s)
    await traceIsServed(n, j)
  })
})
