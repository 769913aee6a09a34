/**
 * Records inside a RecordBatch v2: building a batch (tests, fixtures, the benchmark) and reading
 * its records back (ListOffsets by timestamp, tests). The produce/fetch hot paths never come
 * here — they move whole batches (record-batch.ts).
 *
 *   Record => length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *             key varint-bytes | value varint-bytes | [headers] (varint count)
 *   Header => key varint-string | value varint-bytes
 *
 * Only uncompressed and gzip batches can be decoded (node:zlib); snappy/lz4/zstd would need
 * third-party codecs, so decoding them throws RecordBatchError(UNSUPPORTED_COMPRESSION_TYPE).
 */
import { gunzipSync, gzipSync } from 'node:zlib'
import {
  ATTRIBUTES_OFFSET, CRC_OFFSET, CompressionCodec, RECORD_BATCH_OVERHEAD, TIMESTAMP_TYPE_MASK, TRANSACTIONAL_MASK,
  CONTROL_MASK, LOG_OVERHEAD, compressionName, readBatchHeader,
} from './batch-header.ts'
import { crc32c } from './crc32c.ts'
import { KafkaError } from './error-codes.ts'
import { ProtocolDecodeError, RecordBatchError } from './errors.ts'
import { Reader } from './reader.ts'
import { Writer } from './writer.ts'

export interface RecordHeader {
  key: string
  value: Buffer | null
}

export interface RecordInput {
  key: Buffer | null
  value: Buffer | null
  headers?: RecordHeader[]
  timestamp: bigint
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number
}

export interface EncodeRecordBatchOptions {
  baseOffset?: bigint
  records: RecordInput[]
  compression?: 'none' | 'gzip'
  timestampType?: 'create' | 'log-append'
  transactional?: boolean
  control?: boolean
  partitionLeaderEpoch?: number
  producerId?: bigint
  producerEpoch?: number
  baseSequence?: number
  /** Defaults to the first record's timestamp, as Kafka's MemoryRecordsBuilder does. */
  firstTimestamp?: bigint
  /** Defaults to the largest record timestamp. */
  maxTimestamp?: bigint
}

export interface DecodedRecord {
  offset: bigint
  timestamp: bigint
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
}

/** Smallest encoded record: length, attributes, two deltas, null key, null value, 0 headers. */
const MIN_RECORD_SIZE = 7
const DEFAULT_MAX_DECOMPRESSED = 256 * 1024 * 1024

function encodeRecord (out: Writer, r: RecordInput, index: number, firstTimestamp: bigint): void {
  const body = new Writer(64)
  body.int8(0)
  body.varlong(r.timestamp - firstTimestamp)
  body.varint(r.offsetDelta ?? index)
  body.varintBytes(r.key)
  body.varintBytes(r.value)
  const headers = r.headers ?? []
  body.varint(headers.length)
  for (const h of headers) {
    body.varintString(h.key)
    body.varintBytes(h.value)
  }
  const bytes = body.toBuffer()
  out.varint(bytes.length)
  out.raw(bytes)
}

/** Builds a complete, CRC-valid RecordBatch v2. */
export function encodeRecordBatch (opts: EncodeRecordBatchOptions): Buffer {
  const records = opts.records
  const firstTimestamp = opts.firstTimestamp ?? records[0]?.timestamp ?? -1n
  let maxTimestamp = opts.maxTimestamp ?? -1n
  let lastOffsetDelta = -1
  const body = new Writer(1024)
  records.forEach((r, i) => {
    if (opts.maxTimestamp === undefined && r.timestamp > maxTimestamp) maxTimestamp = r.timestamp
    lastOffsetDelta = Math.max(lastOffsetDelta, r.offsetDelta ?? i)
    encodeRecord(body, r, i, firstTimestamp)
  })
  let recordBytes = body.toBuffer()
  const compression = opts.compression ?? 'none'
  if (compression === 'gzip') recordBytes = gzipSync(recordBytes)

  const attributes = CompressionCodec[compression] |
    (opts.timestampType === 'log-append' ? TIMESTAMP_TYPE_MASK : 0) |
    (opts.transactional === true ? TRANSACTIONAL_MASK : 0) |
    (opts.control === true ? CONTROL_MASK : 0)
  const head = new Writer(RECORD_BATCH_OVERHEAD)
    .int64(opts.baseOffset ?? 0n)
    .int32(RECORD_BATCH_OVERHEAD - LOG_OVERHEAD + recordBytes.length)
    .int32(opts.partitionLeaderEpoch ?? -1)
    .int8(2)
    .uint32(0) // CRC, filled in below
    .int16(attributes)
    .int32(lastOffsetDelta)
    .int64(firstTimestamp)
    .int64(maxTimestamp)
    .int64(opts.producerId ?? -1n)
    .int16(opts.producerEpoch ?? -1)
    .int32(opts.baseSequence ?? -1)
    .int32(records.length)
  const batch = Buffer.concat([head.toBuffer(), recordBytes])
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET)
  return batch
}

function decodeRecord (r: Reader, baseOffset: bigint, firstTimestamp: bigint, appendTime: bigint | null): DecodedRecord {
  const length = r.varint('record.length')
  if (length < 0) throw new ProtocolDecodeError('record.length', `negative record length ${length}`)
  const end = r.offset + length
  if (length > r.remaining) throw new ProtocolDecodeError('record.length', `record of ${length} bytes, only ${r.remaining} left`)
  const rec = new Reader(r.buf, r.offset, end)
  r.offset = end
  rec.int8('record.attributes')
  const timestampDelta = rec.varlong('record.timestampDelta')
  const offsetDelta = rec.varint('record.offsetDelta')
  const key = rec.varintBytes('record.key')
  const value = rec.varintBytes('record.value')
  const headerCount = rec.varint('record.headers')
  if (headerCount < 0 || headerCount * 2 > rec.remaining) {
    throw new ProtocolDecodeError('record.headers', `invalid header count ${headerCount}`)
  }
  const headers: RecordHeader[] = []
  for (let i = 0; i < headerCount; i++) {
    const hk = rec.varintString('record.header.key')
    if (hk === null) throw new ProtocolDecodeError('record.header.key', 'null header key')
    headers.push({ key: hk, value: rec.varintBytes('record.header.value') })
  }
  rec.expectEnd('record')
  return {
    offset: baseOffset + BigInt(offsetDelta),
    // With LogAppendTime every record's timestamp is the batch's max timestamp (Kafka semantics).
    timestamp: appendTime ?? firstTimestamp + timestampDelta,
    key,
    value,
    headers,
  }
}

/**
 * Decodes every record of one whole batch (uncompressed or gzip). Keys and values are views into
 * the batch (or into the decompressed buffer). Throws RecordBatchError / ProtocolDecodeError.
 */
export function decodeRecords (batch: Buffer, opts: { maxDecompressedBytes?: number } = {}): DecodedRecord[] {
  const h = readBatchHeader(batch)
  if (h.magic !== 2) throw new RecordBatchError(KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT, `magic ${h.magic} is not RecordBatch v2`)
  const end = LOG_OVERHEAD + h.batchLength
  if (h.batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD || end > batch.length) {
    throw new RecordBatchError(KafkaError.CORRUPT_MESSAGE, `batch length ${h.batchLength} does not fit ${batch.length} bytes`)
  }
  let data = batch.subarray(RECORD_BATCH_OVERHEAD, end)
  const codec = compressionName(h.compression)
  if (codec === 'gzip') {
    try {
      data = gunzipSync(data, { maxOutputLength: opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED })
    } catch (err) {
      throw new RecordBatchError(KafkaError.CORRUPT_MESSAGE, `gzip: ${(err as Error).message}`)
    }
  } else if (codec !== 'none') {
    throw new RecordBatchError(KafkaError.UNSUPPORTED_COMPRESSION_TYPE,
      `cannot decode ${codec ?? `codec ${h.compression}`} record batches (only none and gzip are supported)`)
  }
  const r = new Reader(data)
  if (h.recordCount < 0 || h.recordCount * MIN_RECORD_SIZE > r.remaining) {
    throw new RecordBatchError(KafkaError.CORRUPT_MESSAGE, `record count ${h.recordCount} does not fit ${r.remaining} bytes`)
  }
  const appendTime = h.timestampType === 1 ? h.maxTimestamp : null
  const out: DecodedRecord[] = new Array<DecodedRecord>(h.recordCount)
  for (let i = 0; i < h.recordCount; i++) out[i] = decodeRecord(r, h.baseOffset, h.firstTimestamp, appendTime)
  r.expectEnd('records')
  return out
}

/**
 * The first record of the batch whose timestamp is >= `ts` (ListOffsets by timestamp), or null.
 * Uses the header's maxTimestamp to skip batches without decoding them.
 */
export function findOffsetByTimestamp (batch: Buffer, ts: bigint): { offset: bigint, timestamp: bigint } | null {
  const h = readBatchHeader(batch)
  if (h.maxTimestamp < ts) return null
  if (h.timestampType === 1) return { offset: h.baseOffset, timestamp: h.maxTimestamp }
  for (const rec of decodeRecords(batch)) {
    if (rec.timestamp >= ts) return { offset: rec.offset, timestamp: rec.timestamp }
  }
  return null
}

export function firstOffsetAtOrAfterTimestamp (batch: Buffer, ts: bigint): bigint | null {
  return findOffsetByTimestamp(batch, ts)?.offset ?? null
}
