import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { KafkaError } from './error-codes.ts'
import { RecordBatchError } from './errors.ts'
import {
  decodeRecords, encodeRecordBatch, findOffsetByTimestamp, firstOffsetAtOrAfterTimestamp, readBatchHeader,
  setBaseOffset, splitRecordBatches, updateCrc, validateProduceRecords, validateRecordBatch,
} from './record-batch.ts'

const require = createRequire(import.meta.url)
interface KjsEncoder { buffer: Buffer }
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (o: Record<string, unknown>) => Promise<KjsEncoder>
}
const KjsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (o: Record<string, unknown>) => KjsEncoder
const KjsDecoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => unknown
const kjsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (d: unknown) => Promise<{
  records: { offset: string, timestamp: string, key: Buffer | null, value: Buffer | null, headers: Record<string, Buffer> }[]
  lastOffsetDelta: number, firstTimestamp: string, maxTimestamp: string
}>
const Long = require('kafkajs/src/utils/long.js') as { fromValue: (v: string) => unknown }

const T0 = 1_700_000_000_000n
const sample = [
  { key: Buffer.from('k1'), value: Buffer.from('hello'), timestamp: T0, headers: [{ key: 'h', value: Buffer.from('v') }] },
  { key: null, value: Buffer.from('world'), timestamp: T0 + 5n },
  { key: Buffer.from('k3'), value: null, timestamp: T0 + 3n },
]

test('encodeRecordBatch produces the same bytes as kafkajs for the same batch', async () => {
  const ours = encodeRecordBatch({
    records: sample, partitionLeaderEpoch: 0, producerEpoch: 0, baseSequence: 0, producerId: -1n,
  })
  const theirs = await RecordBatch({
    firstOffset: Long.fromValue('0'),
    firstTimestamp: Number(T0),
    maxTimestamp: Number(T0 + 5n),
    lastOffsetDelta: 2,
    records: sample.map((r, i) => KjsRecord({
      offsetDelta: i,
      timestampDelta: Number(r.timestamp - T0),
      key: r.key,
      value: r.value,
      headers: Object.fromEntries((r.headers ?? []).map((h) => [h.key, h.value])),
    })),
  })
  assert.deepEqual(ours, theirs.buffer)
})

for (const compression of ['none', 'gzip'] as const) {
  test(`kafkajs decodes our ${compression} batch, and we decode it back`, async () => {
    const batch = encodeRecordBatch({ baseOffset: 100n, records: sample, compression })
    const decoded = await kjsDecodeBatch(new KjsDecoder(batch))
    assert.equal(decoded.records.length, 3)
    decoded.records.forEach((r, i) => {
      const s = sample[i]!
      assert.equal(r.offset, String(100 + i))
      assert.equal(r.timestamp, String(s.timestamp))
      assert.deepEqual(r.key, s.key)
      assert.deepEqual(r.value, s.value)
    })
    assert.deepEqual(decoded.records[0]!.headers, { h: Buffer.from('v') })

    const ours = decodeRecords(batch)
    assert.deepEqual(ours.map((r) => r.offset), [100n, 101n, 102n])
    assert.deepEqual(ours.map((r) => r.timestamp), sample.map((s) => s.timestamp))
    assert.deepEqual(ours.map((r) => r.key), sample.map((s) => s.key))
    assert.deepEqual(ours.map((r) => r.value), sample.map((s) => s.value))
    assert.deepEqual(ours[0]!.headers, [{ key: 'h', value: Buffer.from('v') }])
    assert.equal(validateRecordBatch(batch).ok, true)
  })
}

test('we decode a kafkajs-built gzip batch and validate its CRC', async () => {
  const batch = (await RecordBatch({
    compression: 1,
    firstOffset: Long.fromValue('0'),
    firstTimestamp: Number(T0),
    maxTimestamp: Number(T0 + 5n),
    lastOffsetDelta: 1,
    records: [0, 1].map((i) => KjsRecord({ offsetDelta: i, timestampDelta: i * 5, key: null, value: Buffer.from(`v${i}`) })),
  })).buffer
  const v = validateRecordBatch(batch)
  assert.ok(v.ok)
  assert.equal(v.header.compression, 1)
  assert.deepEqual(decodeRecords(batch).map((r) => [r.offset, r.timestamp, r.value?.toString()]), [
    [0n, T0, 'v0'], [1n, T0 + 5n, 'v1'],
  ])
})

test('readBatchHeader and setBaseOffset (outside the CRC)', () => {
  const batch = encodeRecordBatch({ records: sample, producerId: 7n, producerEpoch: 2, baseSequence: 9, timestampType: 'log-append' })
  setBaseOffset(batch, 12345n)
  const h = readBatchHeader(batch)
  assert.equal(h.baseOffset, 12345n)
  assert.equal(h.batchLength, batch.length - 12)
  assert.equal(h.magic, 2)
  assert.equal(h.lastOffsetDelta, 2)
  assert.equal(h.recordCount, 3)
  assert.equal(h.firstTimestamp, T0)
  assert.equal(h.maxTimestamp, T0 + 5n)
  assert.equal(h.producerId, 7n)
  assert.equal(h.producerEpoch, 2)
  assert.equal(h.baseSequence, 9)
  assert.equal(h.timestampType, 1)
  assert.equal(validateRecordBatch(batch).ok, true)
  // LogAppendTime: all records carry the batch max timestamp
  assert.deepEqual(decodeRecords(batch).map((r) => r.timestamp), [T0 + 5n, T0 + 5n, T0 + 5n])
})

test('splitRecordBatches returns whole batches and rejects a partial tail', () => {
  const a = encodeRecordBatch({ records: sample })
  const b = encodeRecordBatch({ records: sample.slice(0, 1) })
  const both = Buffer.concat([a, b])
  assert.deepEqual(splitRecordBatches(both), [a, b])
  assert.deepEqual(splitRecordBatches(Buffer.alloc(0)), [])
  for (const cut of [1, 11, 12, 30, b.length - 1]) {
    assert.throws(() => splitRecordBatches(both.subarray(0, a.length + cut)),
      (e: unknown) => e instanceof RecordBatchError && e.errorCode === KafkaError.CORRUPT_MESSAGE)
  }
})

function corrupt (edit: (b: Buffer) => void, crc = true): Buffer {
  const b = encodeRecordBatch({ records: sample })
  edit(b)
  if (crc) updateCrc(b)
  return b
}

test('validateRecordBatch rejects what Kafka rejects, with Kafka error codes', () => {
  const cases: [string, Buffer, number][] = [
    ['magic 1', corrupt((b) => b.writeInt8(1, 16), false), KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT],
    ['magic 0', corrupt((b) => b.writeInt8(0, 16), false), KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT],
    ['magic 3', corrupt((b) => b.writeInt8(3, 16), false), KafkaError.CORRUPT_MESSAGE],
    ['bad crc', corrupt((b) => { b[b.length - 1]! ^= 1 }, false), KafkaError.CORRUPT_MESSAGE],
    ['batch length', corrupt((b) => b.writeInt32BE(b.readInt32BE(8) + 1, 8), false), KafkaError.CORRUPT_MESSAGE],
    ['zero records', corrupt((b) => b.writeInt32BE(0, 57)), KafkaError.CORRUPT_MESSAGE],
    ['last offset delta', corrupt((b) => b.writeInt32BE(5, 23)), KafkaError.CORRUPT_MESSAGE],
    ['codec 6', corrupt((b) => b.writeInt16BE(6, 21)), KafkaError.CORRUPT_MESSAGE],
    ['too short', Buffer.alloc(20, 2), KafkaError.CORRUPT_MESSAGE],
  ]
  for (const [name, batch, code] of cases) {
    const v = validateRecordBatch(batch)
    assert.equal(v.ok, false, name)
    if (!v.ok) assert.equal(v.errorCode, code, name)
  }
})

test('validateProduceRecords wants exactly one valid batch', () => {
  const a = encodeRecordBatch({ records: sample })
  assert.equal(validateProduceRecords(a).ok, true)
  assert.equal(validateProduceRecords(null).ok, false)
  assert.equal(validateProduceRecords(Buffer.concat([a, a])).ok, false)
  assert.equal(validateProduceRecords(a.subarray(0, a.length - 1)).ok, false)
})

test('snappy/lz4/zstd batches validate (stored as-is) but cannot be decoded', () => {
  for (const codec of [2, 3, 4]) {
    const b = corrupt((x) => x.writeInt16BE(codec, 21))
    assert.equal(validateRecordBatch(b).ok, true)
    assert.throws(() => decodeRecords(b),
      (e: unknown) => e instanceof RecordBatchError && e.errorCode === KafkaError.UNSUPPORTED_COMPRESSION_TYPE)
  }
})

test('findOffsetByTimestamp / firstOffsetAtOrAfterTimestamp', () => {
  const batch = encodeRecordBatch({ baseOffset: 10n, records: sample })
  assert.equal(firstOffsetAtOrAfterTimestamp(batch, 0n), 10n)
  assert.equal(firstOffsetAtOrAfterTimestamp(batch, T0), 10n)
  assert.deepEqual(findOffsetByTimestamp(batch, T0 + 1n), { offset: 11n, timestamp: T0 + 5n })
  assert.equal(firstOffsetAtOrAfterTimestamp(batch, T0 + 4n), 11n)
  assert.equal(firstOffsetAtOrAfterTimestamp(batch, T0 + 6n), null)
})

test('large timestamps and negative deltas round-trip through varlong', () => {
  const records = [
    { key: null, value: Buffer.alloc(3000, 1), timestamp: 1n << 50n },
    { key: null, value: null, timestamp: 5n },
    { key: null, value: null, timestamp: (1n << 62n) },
  ]
  const got = decodeRecords(encodeRecordBatch({ records }))
  assert.deepEqual(got.map((r) => r.timestamp), records.map((r) => r.timestamp))
  assert.deepEqual(got[0]!.value, records[0]!.value)
})
