/**
 * RecordBatch v2 framing for the produce and fetch paths: split a record set into batches,
 * validate a batch the way Kafka's broker does before appending it, and stamp its base offset.
 * None of this decompresses: storage keeps producer bytes as they are (README "Contracts").
 * Record-level encode/decode (tests, ListOffsets by timestamp) lives in records.ts.
 */
import {
  BASE_OFFSET_OFFSET, BATCH_LENGTH_OFFSET, CRC_OFFSET, ATTRIBUTES_OFFSET, LOG_OVERHEAD, MAGIC_OFFSET,
  RECORD_BATCH_OVERHEAD, compressionName, readBatchHeader,
} from './batch-header.ts'
import type { BatchHeader } from './batch-header.ts'
import { crc32c } from './crc32c.ts'
import { KafkaError } from './error-codes.ts'
import { RecordBatchError } from './errors.ts'

export * from './batch-header.ts'
export { encodeRecordBatch, decodeRecords, findOffsetByTimestamp, firstOffsetAtOrAfterTimestamp } from './records.ts'
export type { RecordHeader, RecordInput, EncodeRecordBatchOptions, DecodedRecord } from './records.ts'

export type BatchValidation =
  | { ok: true, header: BatchHeader }
  | { ok: false, errorCode: number, reason: string }

function fail (errorCode: number, reason: string): BatchValidation {
  return { ok: false, errorCode, reason }
}

/**
 * Splits a record set into whole batches (views, not copies). A trailing partial batch is an
 * error here — produce input must be complete (fetch responses may be cut by max_bytes, but
 * those are produced by us, not parsed). Throws RecordBatchError(CORRUPT_MESSAGE).
 */
export function splitRecordBatches (records: Buffer): Buffer[] {
  const out: Buffer[] = []
  let at = 0
  while (at < records.length) {
    if (records.length - at < LOG_OVERHEAD) {
      throw new RecordBatchError(KafkaError.CORRUPT_MESSAGE, `partial batch: ${records.length - at} trailing bytes`)
    }
    const batchLength = records.readInt32BE(at + BATCH_LENGTH_OFFSET)
    const size = LOG_OVERHEAD + batchLength
    if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD && records[at + MAGIC_OFFSET] === 2) {
      throw new RecordBatchError(KafkaError.CORRUPT_MESSAGE, `batch length ${batchLength} is below the v2 header size`)
    }
    if (batchLength < 0 || size > records.length - at) {
      throw new RecordBatchError(KafkaError.CORRUPT_MESSAGE,
        `partial batch: length ${batchLength} at ${at}, only ${records.length - at - LOG_OVERHEAD} bytes follow`)
    }
    out.push(records.subarray(at, at + size))
    at += size
  }
  return out
}

/**
 * Checks one whole batch as Kafka's LogValidator does for magic 2: format, length, CRC-32C
 * and the record count / last offset delta agreement. Errors carry the code Kafka answers with:
 * UNSUPPORTED_FOR_MESSAGE_FORMAT for the legacy magic 0/1 formats, CORRUPT_MESSAGE otherwise.
 * Compressed batches are not decompressed (snappy/lz4/zstd batches are stored as they are).
 */
export function validateRecordBatch (batch: Buffer): BatchValidation {
  if (batch.length <= MAGIC_OFFSET) return fail(KafkaError.CORRUPT_MESSAGE, `batch of ${batch.length} bytes is too short`)
  const magic = batch.readInt8(MAGIC_OFFSET)
  if (magic === 0 || magic === 1) {
    return fail(KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT, `message format v${magic} is not supported; use RecordBatch v2`)
  }
  if (magic !== 2) return fail(KafkaError.CORRUPT_MESSAGE, `unknown magic ${magic}`)
  if (batch.length < RECORD_BATCH_OVERHEAD) {
    return fail(KafkaError.CORRUPT_MESSAGE, `batch of ${batch.length} bytes is shorter than the ${RECORD_BATCH_OVERHEAD}-byte header`)
  }
  const header = readBatchHeader(batch)
  if (header.batchLength + LOG_OVERHEAD !== batch.length) {
    return fail(KafkaError.CORRUPT_MESSAGE, `batch length ${header.batchLength} does not match the ${batch.length - LOG_OVERHEAD} bytes present`)
  }
  const crc = crc32c(batch.subarray(ATTRIBUTES_OFFSET))
  if (crc !== header.crc) {
    return fail(KafkaError.CORRUPT_MESSAGE, `crc mismatch: stored ${header.crc.toString(16)}, computed ${crc.toString(16)}`)
  }
  if (compressionName(header.compression) === undefined) {
    return fail(KafkaError.CORRUPT_MESSAGE, `unknown compression codec ${header.compression}`)
  }
  if (header.recordCount < 1) return fail(KafkaError.CORRUPT_MESSAGE, `invalid record count ${header.recordCount}`)
  if (header.lastOffsetDelta !== header.recordCount - 1) {
    return fail(KafkaError.CORRUPT_MESSAGE,
      `last offset delta ${header.lastOffsetDelta} is inconsistent with ${header.recordCount} records`)
  }
  return { ok: true, header }
}

export type ProduceRecordsValidation =
  | { ok: true, batch: Buffer, header: BatchHeader }
  | { ok: false, errorCode: number, reason: string }

/**
 * The whole produce-side check for one partition's `records`: Kafka requires produce v3+ to
 * carry exactly one magic-2 batch per partition (ProduceRequest.validateRecords), which must
 * then pass validateRecordBatch.
 */
export function validateProduceRecords (records: Buffer | null): ProduceRecordsValidation {
  if (records === null || records.length === 0) return { ok: false, errorCode: KafkaError.CORRUPT_MESSAGE, reason: 'no record batch' }
  let batches: Buffer[]
  try {
    batches = splitRecordBatches(records)
  } catch (err) {
    if (err instanceof RecordBatchError) return { ok: false, errorCode: err.errorCode, reason: err.message }
    throw err
  }
  const [batch] = batches
  if (batch === undefined || batches.length !== 1) {
    return { ok: false, errorCode: KafkaError.CORRUPT_MESSAGE, reason: `expected exactly one record batch, got ${batches.length}` }
  }
  const v = validateRecordBatch(batch)
  return v.ok ? { ok: true, batch, header: v.header } : v
}

/** Stamps the batch's base offset in place. It lies outside the CRC, so the CRC stays valid. */
export function setBaseOffset (batch: Buffer, offset: bigint): void {
  batch.writeBigInt64BE(offset, BASE_OFFSET_OFFSET)
}

/** Re-computes and stores the CRC (for tests and tools that edit a batch after building it). */
export function updateCrc (batch: Buffer): void {
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET)
}
