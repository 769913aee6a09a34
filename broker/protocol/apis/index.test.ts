import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { ProtocolDecodeError } from '../errors.ts'
import { Reader } from '../reader.ts'
import { Writer } from '../writer.ts'
import { sampleStoredBatch, samples } from '../test-samples.ts'
import { ApiKey, apis, encodeResponseFrame, getApi, isSupportedVersion, supportedVersions } from './index.ts'

test('supportedVersions() is exactly the README table', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const rows = [...readme.matchAll(/^\| (\w+) \| (\d+) \| (\d+)–(\d+) \|/gm)]
    .map((m) => ({ apiKey: Number(m[2]), minVersion: Number(m[3]), maxVersion: Number(m[4]) }))
    .sort((a, b) => a.apiKey - b.apiKey)
  assert.equal(rows.length, 15)
  assert.deepEqual(supportedVersions(), rows)
  for (const [name, key] of Object.entries(ApiKey)) assert.equal(getApi(key)?.name, name)
})

test('lookups and version checks', () => {
  assert.equal(getApi(7), undefined)
  assert.equal(isSupportedVersion(1, 11), true)
  assert.equal(isSupportedVersion(1, 3), false)
  assert.equal(isSupportedVersion(18, 3), false)
  assert.equal(isSupportedVersion(99, 0), false)
  assert.throws(() => apis[0].decodeRequest(2, new Reader(Buffer.alloc(100))), ProtocolDecodeError)
  assert.throws(() => apis[1].encodeResponse(12, { throttleTimeMs: 0, topics: [] }, new Writer()), RangeError)
})

test('encodeResponseFrame: size | correlation id | body, record data by reference', () => {
  const res = samples[1]!.response(11)
  const chunks = encodeResponseFrame(ApiKey.Fetch, 11, 1234, res as never)
  const frame = Buffer.concat(chunks)
  assert.equal(frame.readInt32BE(0), frame.length - 4)
  assert.equal(frame.readInt32BE(4), 1234)
  const body = apis[1].decodeResponse(11, new Reader(frame, 8))
  assert.deepEqual(body, res)

  const big = Buffer.concat([sampleStoredBatch, Buffer.alloc(4096)])
  const withBig = encodeResponseFrame(ApiKey.Fetch, 4, 1, {
    throttleTimeMs: 0,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 1n, lastStableOffset: 1n, abortedTransactions: null, records: big }] }],
  })
  assert.ok(withBig.includes(big))
})
