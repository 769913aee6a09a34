/**
 * The few RecordBatch v2 header fields storage needs. storage/ never decodes records: it reads
 * framing (offsets, length, magic, CRC, timestamps) and rewrites only `baseOffset`, which lies
 * outside the CRC. protocol/ owns full decoding; this minimal copy keeps the two independent.
 *
 *   baseOffset int64 @0, batchLength int32 @8 (bytes after this field), partitionLeaderEpoch @12,
 *   magic int8 @16, crc uint32 @17 (CRC-32C of [21, end)), attributes int16 @21,
 *   lastOffsetDelta int32 @23, baseTimestamp int64 @27, maxTimestamp int64 @35, ...,
 *   recordCount int32 @57, records @61
 */
import { InvalidBatchError } from './errors.ts'

export const BASE_OFFSET_AT = 0
export const BATCH_LENGTH_AT = 8
export const MAGIC_AT = 16
export const CRC_AT = 17
export const ATTRIBUTES_AT = 21
export const LAST_OFFSET_DELTA_AT = 23
export const BASE_TIMESTAMP_AT = 27
export const MAX_TIMESTAMP_AT = 35
export const RECORD_COUNT_AT = 57
/** Bytes of the fixed header: the smallest possible batch (zero records). */
export const BATCH_HEADER_SIZE = 61
/** `baseOffset` + `batchLength`: the whole batch is this plus `batchLength` bytes. */
export const LOG_OVERHEAD = 12
export const CURRENT_MAGIC = 2

export interface BatchHeader {
  baseOffset: bigint
  /** Whole batch size in bytes (12 + batchLength). */
  size: number
  magic: number
  crc: number
  lastOffsetDelta: number
  maxTimestamp: bigint
}

/** Parses the header at `buf[at]`; the caller guarantees `BATCH_HEADER_SIZE` bytes are there. */
export function readBatchHeader (buf: Buffer, at = 0): BatchHeader {
  return {
    baseOffset: buf.readBigInt64BE(at + BASE_OFFSET_AT),
    size: LOG_OVERHEAD + buf.readInt32BE(at + BATCH_LENGTH_AT),
    magic: buf.readInt8(at + MAGIC_AT),
    crc: buf.readUInt32BE(at + CRC_AT),
    lastOffsetDelta: buf.readInt32BE(at + LAST_OFFSET_DELTA_AT),
    maxTimestamp: buf.readBigInt64BE(at + MAX_TIMESTAMP_AT),
  }
}

/** Rewrites `baseOffset` in place. It is not covered by the CRC, so the batch stays valid. */
export function writeBaseOffset (buf: Buffer, offset: bigint, at = 0): void {
  buf.writeBigInt64BE(offset, at + BASE_OFFSET_AT)
}

/**
 * The framing checks append needs (the caller already verified the CRC): a whole batch of
 * magic 2 whose length field matches the buffer. Throws InvalidBatchError naming batch `index`.
 */
export function checkAppendFraming (batch: Buffer, index: number): BatchHeader {
  if (batch.length < BATCH_HEADER_SIZE) throw new InvalidBatchError(`batch ${index}: ${batch.length} bytes is shorter than a batch header`)
  const h = readBatchHeader(batch)
  if (h.size !== batch.length) throw new InvalidBatchError(`batch ${index}: batchLength says ${h.size - LOG_OVERHEAD} but ${batch.length - LOG_OVERHEAD} bytes follow`)
  if (h.magic !== CURRENT_MAGIC) throw new InvalidBatchError(`batch ${index}: magic ${h.magic}, expected ${CURRENT_MAGIC}`)
  if (h.lastOffsetDelta < 0) throw new InvalidBatchError(`batch ${index}: negative lastOffsetDelta`)
  return h
}
