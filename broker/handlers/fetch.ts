import { KafkaError } from '../protocol/error-codes.ts'
import type { FetchPartitionResponse, FetchRequest, FetchResponse } from '../protocol/apis/index.ts'
import type { PartitionLog } from '../storage/partition-log.ts'
import type { BrokerContext, Handler } from './context.ts'

/**
 * Fetch with long-polling: answer at once when at least `minBytes` are available, otherwise wait
 * until an append to one of the requested partitions, `maxWaitMs`, or broker shutdown, then read
 * again. Byte limits follow KIP-74: `maxBytes` bounds the whole response and
 * `partitionMaxBytes` each partition, but the first batch found is always returned whole so a
 * consumer can never get stuck behind a large batch. Fetch sessions (KIP-227) are declined
 * (session id 0), which every client handles with full fetches.
 */
export const handleFetch: Handler<FetchRequest, FetchResponse> = async (ctx, req) => {
  const deadline = ctx.clock.now() + Math.max(0, req.maxWaitMs)
  const logs = req.topics.flatMap((t) => t.partitions.map((p) => ctx.logs.partition(t.name, p.partitionIndex)))
    .filter((l): l is PartitionLog => l !== undefined)
  for (;;) {
    const { response, bytes } = readAll(ctx, req)
    const remaining = deadline - ctx.clock.now()
    if (bytes >= req.minBytes || remaining <= 0 || ctx.signal.aborted || logs.length === 0) {
      ctx.metrics.fetchedBytes.inc(bytes)
      return response
    }
    await waitForAppend(ctx, logs, remaining)
  }
}

function readAll (ctx: BrokerContext, req: FetchRequest): { response: FetchResponse, bytes: number } {
  let budget = Math.max(0, req.maxBytes)
  let bytes = 0
  const topics = req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p): FetchPartitionResponse => {
      const base = { partitionIndex: p.partitionIndex, abortedTransactions: null, preferredReadReplica: -1 }
      const log = ctx.logs.partition(t.name, p.partitionIndex)
      if (log === undefined) {
        return { ...base, errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: null }
      }
      // Once the response holds data, a partition gets only what is left of maxBytes; the first
      // non-empty partition may exceed it (KIP-74).
      const limit = bytes === 0 ? Math.max(1, Math.min(p.partitionMaxBytes, req.maxBytes)) : Math.min(p.partitionMaxBytes, budget)
      const read = limit > 0 ? log.read(p.fetchOffset, limit) : { records: Buffer.alloc(0), highWatermark: log.highWatermark, logStartOffset: log.logStartOffset }
      const offsets = { highWatermark: read.highWatermark, lastStableOffset: read.highWatermark, logStartOffset: read.logStartOffset }
      if ('error' in read) return { ...base, ...offsets, errorCode: KafkaError.OFFSET_OUT_OF_RANGE, records: null }
      // Storage always returns at least one batch; only the first non-empty partition may overshoot.
      if (bytes > 0 && read.records.length > limit) return { ...base, ...offsets, errorCode: KafkaError.NONE, records: null }
      bytes += read.records.length
      budget = Math.max(0, budget - read.records.length)
      return { ...base, ...offsets, errorCode: KafkaError.NONE, records: read.records }
    }),
  }))
  return { response: { throttleTimeMs: 0, errorCode: KafkaError.NONE, sessionId: 0, topics }, bytes }
}

/** Resolves on the first append to any of `logs`, after `ms`, or when the broker stops. */
function waitForAppend (ctx: BrokerContext, logs: PartitionLog[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    let done = false
    const finish = (): void => {
      if (done) return
      done = true
      for (const u of unsubscribe) u()
      timer.cancel()
      ctx.signal.removeEventListener('abort', finish)
      resolve()
    }
    const unsubscribe = logs.map((l) => l.subscribe(finish))
    const timer = ctx.clock.setTimeout(finish, ms)
    ctx.signal.addEventListener('abort', finish, { once: true })
  })
}
