import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeTracesProto, encodeTracesJson, encodeTracesProto } from '../common/otlp/index.ts'
import type { TracesData } from '../common/otlp/model.ts'
import { span, traces } from '../common/otlp/testing/model-fixture.ts'
import { decodeRecord, encodeRecord } from './record-format.ts'

/** Record format v1: our records and an OpenTelemetry Collector's decode through one path. */
describe('Kafka record format', () => {
  const data = traces([span()])
  /** The record's traces decoded back, so results compare as models. */
  const decoded = (r: ReturnType<typeof decodeRecord>): { tenant: string, data?: TracesData[] } =>
    'error' in r ? { tenant: r.tenant } : { tenant: r.tenant, data: r.traces.map((t) => decodeTracesProto(t.request)) }

  it('round-trips a record written by the distributor', () => {
    const rec = encodeRecord('team-a', Buffer.alloc(16, 1), encodeTracesProto(data))
    assert.deepEqual(rec.headers, { 'X-Scope-OrgID': 'team-a', 'content-type': 'application/x-protobuf' })
    assert.deepStrictEqual(decoded(decodeRecord(rec.value, rec.headers)), { tenant: 'team-a', data: [data] })
  })

  it('accepts collector records without headers: protobuf, and JSON sniffed by its first byte', () => {
    assert.deepStrictEqual(decoded(decodeRecord(encodeTracesProto(data), undefined)), { tenant: 'single-tenant', data: [data] })
    assert.deepStrictEqual(decoded(decodeRecord(Buffer.from('  \n' + encodeTracesJson(data, { dialect: 'otlp' })), {})), { tenant: 'single-tenant', data: [data] })
  })

  it('reads headers case-insensitively and as Buffers (what kafkajs delivers)', () => {
    const r = decodeRecord(encodeTracesProto(data), { 'x-scope-orgid': Buffer.from('t1'), 'Content-Type': Buffer.from('application/x-protobuf') })
    assert.equal(r.tenant, 't1')
    assert.ok(!('error' in r))
  })

  it('reports undecodable values instead of throwing', () => {
    const bad = decodeRecord(Buffer.from([0x0a, 0x05, 0xff]), { 'X-Scope-OrgID': 't2' })
    assert.equal(bad.tenant, 't2')
    assert.ok('error' in bad && bad.error === 'decoding_failed' && /truncated/.test(bad.message))
    assert.ok('error' in decodeRecord(null, undefined))
    assert.ok('error' in decodeRecord(Buffer.from('{"resourceSpans": 3}'), undefined))
  })
})
