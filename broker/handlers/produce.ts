import { KafkaError, errorName } from '../protocol/error-codes.ts'
import type { ProducePartitionResponse, ProduceRequest, ProduceResponse } from '../protocol/apis/index.ts'
import { validateProduceRecords } from '../protocol/record-batch.ts'
import type { BrokerContext, Handler } from './context.ts'

/**
 * Produce: each partition's single RecordBatch v2 is checked (framing, magic, CRC-32C, size)
 * and appended. Appends are issued synchronously, before the first await, so pipelined requests
 * on one connection land in the order they were sent; with acks=-1 the answer waits for the
 * fsync that covers them (group commit in storage/). acks=0 gets no answer at all.
 */
export const handleProduce: Handler<ProduceRequest, ProduceResponse> = async (ctx, req) => {
  const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1
  // map() calls appendOne for every partition synchronously: no await before the writes.
  const pending = req.topics.map((t) => Promise.all(t.partitions.map((p) => appendOne(ctx, t.name, p.partitionIndex, p.records, req, validAcks))))
  const results = await Promise.all(pending)
  if (req.acks === 0) return null
  return { throttleTimeMs: 0, topics: req.topics.map((t, i) => ({ name: t.name, partitions: results[i] ?? [] })) }
}

function appendOne (ctx: BrokerContext, topic: string, partition: number, records: Buffer | null, req: ProduceRequest, validAcks: boolean): Promise<ProducePartitionResponse> {
  const fail = (errorCode: number): Promise<ProducePartitionResponse> => {
    ctx.metrics.rejectedBatches.inc({ error: errorName(errorCode) })
    return Promise.resolve({ partitionIndex: partition, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n })
  }
  if (!validAcks) return fail(KafkaError.INVALID_REQUIRED_ACKS)
  // Transactions need InitProducerId and markers, which this broker does not offer.
  if (req.transactionalId !== null) return fail(KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
  const log = ctx.logs.partition(topic, partition)
  if (log === undefined) return fail(KafkaError.UNKNOWN_TOPIC_OR_PARTITION)
  const checked = validateProduceRecords(records)
  if (!checked.ok) {
    ctx.logger.debug({ topic, partition, reason: checked.reason }, 'rejected produced batch')
    return fail(checked.errorCode)
  }
  if (checked.batch.length > ctx.config.max_message_bytes) return fail(KafkaError.MESSAGE_TOO_LARGE)
  const appended = log.append([checked.batch], { durable: req.acks === -1 })
  return appended.then((r) => {
    ctx.metrics.producedRecords.inc({ topic }, checked.header.recordCount)
    ctx.metrics.producedBytes.inc({ topic }, checked.batch.length)
    return { partitionIndex: partition, errorCode: KafkaError.NONE, baseOffset: r.baseOffset, logAppendTimeMs: -1n, logStartOffset: r.logStartOffset }
  }, (err: unknown) => {
    ctx.logger.error({ err, topic, partition }, 'append failed')
    return fail(KafkaError.KAFKA_STORAGE_ERROR)
  })
}
