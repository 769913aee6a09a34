import { KafkaError } from '../protocol/error-codes.ts'
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../protocol/apis/index.ts'
import type { ListOffsetsPartitionResponse, ListOffsetsRequest, ListOffsetsResponse } from '../protocol/apis/index.ts'
import { findOffsetByTimestamp } from '../protocol/record-batch.ts'
import type { PartitionLog } from '../storage/partition-log.ts'
import type { Handler } from './context.ts'

/**
 * ListOffsets: -1 → the log end (next offset to be written), -2 → the log start, any other
 * timestamp → the first record whose timestamp is ≥ it, exact to the record (the batch found by
 * the time index is decoded), or -1 when no record is that recent (Kafka's UNKNOWN_OFFSET; kafkajs
 * then uses the high watermark).
 */
export const handleListOffsets: Handler<ListOffsetsRequest, ListOffsetsResponse> = (ctx, req, info) => ({
  throttleTimeMs: 0,
  topics: req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p): ListOffsetsPartitionResponse => {
      const log = ctx.logs.partition(t.name, p.partitionIndex)
      if (log === undefined) return { partitionIndex: p.partitionIndex, errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION, oldStyleOffsets: [], timestamp: -1n, offset: -1n }
      const { offset, timestamp } = lookup(log, p.timestamp)
      // v0 answers a list of offsets; it only makes sense for -1/-2, where it is that one offset.
      if (info.version === 0) return { partitionIndex: p.partitionIndex, errorCode: KafkaError.NONE, oldStyleOffsets: offset >= 0n ? [offset] : [] }
      return { partitionIndex: p.partitionIndex, errorCode: KafkaError.NONE, timestamp, offset }
    }),
  })),
})

function lookup (log: PartitionLog, ts: bigint): { offset: bigint, timestamp: bigint } {
  if (ts === LATEST_TIMESTAMP) return { offset: log.logEndOffset, timestamp: -1n }
  if (ts === EARLIEST_TIMESTAMP) return { offset: log.logStartOffset, timestamp: -1n }
  const found = log.batchAtOrAfterTimestamp(ts)
  if (found === null) return { offset: -1n, timestamp: -1n }
  try {
    const exact = findOffsetByTimestamp(found.batch, ts)
    if (exact !== null) return exact
  } catch {
    // A codec we cannot decode (snappy, lz4, zstd): the batch start is the closest safe answer.
  }
  return { offset: found.baseOffset, timestamp: ts }
}
