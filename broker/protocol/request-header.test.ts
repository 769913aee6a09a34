import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { ProtocolDecodeError } from './errors.ts'
import { decodeRequestHeader, encodeRequestHeader, encodeResponseHeader, peekCorrelationId } from './request-header.ts'
import { Writer } from './writer.ts'

const require = createRequire(import.meta.url)
const kjsRequest = require('kafkajs/src/protocol/request.js') as (o: Record<string, unknown>) => Promise<{ buffer: Buffer }>
const kjsFetchV11 = require('kafkajs/src/protocol/requests/fetch/v11/request.js') as (o: Record<string, unknown>) => unknown

test('decodes the header kafkajs writes (after its size prefix)', async () => {
  const req = kjsFetchV11({ replicaId: -1, maxWaitTime: 1, minBytes: 1, maxBytes: 1, topics: [] })
  const framed = (await kjsRequest({ correlationId: 77, clientId: 'my-app', request: req })).buffer
  assert.equal(framed.readInt32BE(0), framed.length - 4)
  const frame = framed.subarray(4)
  const { header, bodyOffset } = decodeRequestHeader(frame)
  assert.deepEqual(header, { apiKey: 1, apiVersion: 11, correlationId: 77, clientId: 'my-app' })
  assert.equal(bodyOffset, 2 + 2 + 4 + 2 + 'my-app'.length)
  assert.equal(peekCorrelationId(frame), 77)
})

test('a null client id, our encoder, and the response header', () => {
  const w = new Writer()
  encodeRequestHeader(w, { apiKey: 18, apiVersion: 2, correlationId: -5, clientId: null })
  const { header, bodyOffset } = decodeRequestHeader(w.toBuffer())
  assert.deepEqual(header, { apiKey: 18, apiVersion: 2, correlationId: -5, clientId: null })
  assert.equal(bodyOffset, 10)
  assert.deepEqual(encodeResponseHeader(0x01020304), Buffer.from([1, 2, 3, 4]))
})

test('ApiVersions v3 (header v2, flexible): the first four fields decode as in v1', () => {
  // api_key 18, api_version 3, correlation_id 9, client_id "rdkafka", then tagged fields + compact body
  const frame = Buffer.concat([
    Buffer.from([0, 18, 0, 3, 0, 0, 0, 9, 0, 7]), Buffer.from('rdkafka'),
    Buffer.from([0x00, 0x08, ...Buffer.from('librdka'), 0x06, ...Buffer.from('2.3.0'), 0x00]),
  ])
  const { header } = decodeRequestHeader(frame)
  assert.deepEqual(header, { apiKey: 18, apiVersion: 3, correlationId: 9, clientId: 'rdkafka' })
})

test('truncated headers throw ProtocolDecodeError', () => {
  const w = new Writer()
  encodeRequestHeader(w, { apiKey: 0, apiVersion: 7, correlationId: 1, clientId: 'abc' })
  const full = w.toBuffer()
  for (let n = 0; n < full.length; n++) {
    assert.throws(() => decodeRequestHeader(full.subarray(0, n)), ProtocolDecodeError, `length ${n}`)
  }
  assert.equal(peekCorrelationId(full.subarray(0, 7)), null)
  assert.equal(peekCorrelationId(full.subarray(0, 9)), 1)
})
