import { KafkaError } from '../protocol/error-codes.ts'
import type { OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest, OffsetFetchResponse } from '../protocol/apis/index.ts'
import type { OffsetCommitEntry } from '../storage/offset-store.ts'
import type { Handler } from './context.ts'

/** Kafka's offset.metadata.max.bytes. */
const MAX_METADATA_BYTES = 4096

/**
 * OffsetCommit: the group coordinator decides whether this member may commit (generation,
 * membership); accepted offsets are answered only once they are durable (offset store fsync).
 */
export const handleOffsetCommit: Handler<OffsetCommitRequest, OffsetCommitResponse> = async (ctx, req) => {
  const denied = req.groupId === '' ? KafkaError.INVALID_GROUP_ID : ctx.groups.validateCommit(req)
  const now = ctx.clock.now()
  const entries: OffsetCommitEntry[] = []
  const topics = req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      let errorCode: number = denied
      if (errorCode === KafkaError.NONE) {
        if (ctx.logs.partition(t.name, p.partitionIndex) === undefined) errorCode = KafkaError.UNKNOWN_TOPIC_OR_PARTITION
        else if (Buffer.byteLength(p.committedMetadata ?? '') > MAX_METADATA_BYTES) errorCode = KafkaError.OFFSET_METADATA_TOO_LARGE
        else entries.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.committedMetadata, commitTimestamp: p.commitTimestamp >= 0n ? Number(p.commitTimestamp) : now })
      }
      return { partitionIndex: p.partitionIndex, errorCode }
    }),
  }))
  if (entries.length > 0) {
    try {
      await ctx.offsets.commit(req.groupId, entries)
    } catch (err) {
      ctx.logger.error({ err, groupId: req.groupId }, 'offset commit failed')
      for (const t of topics) for (const p of t.partitions) if (p.errorCode === KafkaError.NONE) p.errorCode = KafkaError.COORDINATOR_NOT_AVAILABLE
    }
  }
  return { throttleTimeMs: 0, topics }
}

/** OffsetFetch: -1 with empty metadata where nothing was committed, as Kafka answers. */
export const handleOffsetFetch: Handler<OffsetFetchRequest, OffsetFetchResponse> = (ctx, req) => {
  const requested = req.topics ?? groupTopics(ctx.offsets.groupOffsets(req.groupId))
  return {
    throttleTimeMs: 0,
    errorCode: KafkaError.NONE,
    topics: requested.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => {
        const c = ctx.offsets.fetch(req.groupId, t.name, partitionIndex)
        return { partitionIndex, committedOffset: c?.offset ?? -1n, metadata: c?.metadata ?? '', errorCode: KafkaError.NONE }
      }),
    })),
  }
}

function groupTopics (entries: OffsetCommitEntry[]): { name: string, partitionIndexes: number[] }[] {
  const by = new Map<string, number[]>()
  for (const e of entries) by.set(e.topic, [...(by.get(e.topic) ?? []), e.partition])
  return [...by].map(([name, partitionIndexes]) => ({ name, partitionIndexes }))
}
