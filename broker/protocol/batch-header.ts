/**
 * RecordBatch v2 (magic 2) header layout. Offsets are fixed, so the header is read with direct
 * Buffer reads rather than a Reader; callers check the length first (see readBatchHeader).
 *
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 | crc uint32 |
 *   attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 |
 *   producerId int64 | producerEpoch int16 | baseSequence int32 | recordCount int32 | records...
 *
 * The CRC-32C covers everything from `attributes` to the end, so `baseOffset` (and the
 * partition leader epoch) can be rewritten by the broker without recomputing it.
 */
import { KafkaError } from './error-codes.ts'
import { RecordBatchError } from './errors.ts'

export const BASE_OFFSET_OFFSET = 0
export const BATCH_LENGTH_OFFSET = 8
export const PARTITION_LEADER_EPOCH_OFFSET = 12
export const MAGIC_OFFSET = 16
export const CRC_OFFSET = 17
export const ATTRIBUTES_OFFSET = 21
export const LAST_OFFSET_DELTA_OFFSET = 23
export const BASE_TIMESTAMP_OFFSET = 27
export const MAX_TIMESTAMP_OFFSET = 35
export const PRODUCER_ID_OFFSET = 43
export const PRODUCER_EPOCH_OFFSET = 51
export const BASE_SEQUENCE_OFFSET = 53
export const RECORD_COUNT_OFFSET = 57
/** Size of the header, i.e. of a batch with no records. */
export const RECORD_BATCH_OVERHEAD = 61
/** baseOffset + batchLength: the part of a batch not counted by batchLength. */
export const LOG_OVERHEAD = 12

export const COMPRESSION_MASK = 0x07
export const TIMESTAMP_TYPE_MASK = 0x08
export const TRANSACTIONAL_MASK = 0x10
export const CONTROL_MASK = 0x20

export const CompressionCodec = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const
export type CompressionName = keyof typeof CompressionCodec
const CODEC_NAMES: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

/** The codec name for an attributes' compression id, or undefined for ids 5–7. */
export function compressionName (codec: number): CompressionName | undefined {
  return CODEC_NAMES[codec]
}

export interface BatchHeader {
  baseOffset: bigint
  /** Bytes after the batchLength field; the whole batch is `batchLength + 12` bytes. */
  batchLength: number
  partitionLeaderEpoch: number
  magic: number
  crc: number
  attributes: number
  /** attributes bits 0–2: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
  compression: number
  /** attributes bit 3: 0 CreateTime, 1 LogAppendTime. */
  timestampType: 0 | 1
  isTransactional: boolean
  isControl: boolean
  lastOffsetDelta: number
  /** The batch's base timestamp (Kafka's "firstTimestamp"). */
  firstTimestamp: bigint
  maxTimestamp: bigint
  producerId: bigint
  producerEpoch: number
  baseSequence: number
  recordCount: number
}

/** Reads a v2 header at `offset`; throws RecordBatchError(CORRUPT_MESSAGE) when too short. */
export function readBatchHeader (buf: Buffer, offset = 0): BatchHeader {
  if (buf.length - offset < RECORD_BATCH_OVERHEAD) {
    throw new RecordBatchError(KafkaError.CORRUPT_MESSAGE,
      `record batch header needs ${RECORD_BATCH_OVERHEAD} bytes, got ${Math.max(0, buf.length - offset)}`)
  }
  const attributes = buf.readInt16BE(offset + ATTRIBUTES_OFFSET)
  return {
    baseOffset: buf.readBigInt64BE(offset + BASE_OFFSET_OFFSET),
    batchLength: buf.readInt32BE(offset + BATCH_LENGTH_OFFSET),
    partitionLeaderEpoch: buf.readInt32BE(offset + PARTITION_LEADER_EPOCH_OFFSET),
    magic: buf.readInt8(offset + MAGIC_OFFSET),
    crc: buf.readUInt32BE(offset + CRC_OFFSET),
    attributes,
    compression: attributes & COMPRESSION_MASK,
    timestampType: (attributes & TIMESTAMP_TYPE_MASK) !== 0 ? 1 : 0,
    isTransactional: (attributes & TRANSACTIONAL_MASK) !== 0,
    isControl: (attributes & CONTROL_MASK) !== 0,
    lastOffsetDelta: buf.readInt32BE(offset + LAST_OFFSET_DELTA_OFFSET),
    firstTimestamp: buf.readBigInt64BE(offset + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: buf.readBigInt64BE(offset + MAX_TIMESTAMP_OFFSET),
    producerId: buf.readBigInt64BE(offset + PRODUCER_ID_OFFSET),
    producerEpoch: buf.readInt16BE(offset + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(offset + BASE_SEQUENCE_OFFSET),
    recordCount: buf.readInt32BE(offset + RECORD_COUNT_OFFSET),
  }
}

/** The offset of the batch's last record. */
export function lastOffsetOf (header: BatchHeader): bigint {
  return header.baseOffset + BigInt(header.lastOffsetDelta)
}
