import { KafkaError } from '../protocol/error-codes.ts'
import type { CreateTopicsRequest, CreateTopicsResponse, DeleteTopicsRequest, DeleteTopicsResponse } from '../protocol/apis/index.ts'
import { InvalidPartitionsError, InvalidTopicError, TopicAlreadyExistsError, UnknownTopicError } from '../storage/errors.ts'
import type { Handler } from './context.ts'

/**
 * CreateTopics: one broker means replication factor 1 (or -1, "broker default"); manual replica
 * assignments may only name this broker. `validateOnly` checks without creating.
 */
export const handleCreateTopics: Handler<CreateTopicsRequest, CreateTopicsResponse> = async (ctx, req) => {
  const nodeId = ctx.advertised().nodeId
  const topics = []
  for (const t of req.topics) {
    const fail = (errorCode: number, errorMessage: string): { name: string, errorCode: number, errorMessage: string } => ({ name: t.name, errorCode, errorMessage })
    const partitions = t.assignments.length > 0 ? t.assignments.length : t.numPartitions === -1 ? ctx.config.partitions : t.numPartitions
    if (t.replicationFactor !== 1 && t.replicationFactor !== -1 && t.assignments.length === 0) {
      topics.push(fail(KafkaError.INVALID_REPLICATION_FACTOR, `replication factor ${t.replicationFactor} > 1 available broker`))
      continue
    }
    if (t.assignments.some((a) => a.brokerIds.some((b) => b !== nodeId))) {
      topics.push(fail(KafkaError.INVALID_REPLICATION_FACTOR, `assignments may only name broker ${nodeId}`))
      continue
    }
    if (req.validateOnly) {
      if (ctx.logs.topic(t.name) !== undefined) topics.push(fail(KafkaError.TOPIC_ALREADY_EXISTS, `topic '${t.name}' already exists`))
      else if (partitions < 1) topics.push(fail(KafkaError.INVALID_PARTITIONS, `number of partitions must be >= 1, got ${partitions}`))
      else topics.push({ name: t.name, errorCode: KafkaError.NONE, errorMessage: null })
      continue
    }
    try {
      await ctx.logs.createTopic(t.name, partitions)
      topics.push({ name: t.name, errorCode: KafkaError.NONE, errorMessage: null })
    } catch (err) {
      if (err instanceof TopicAlreadyExistsError) topics.push(fail(KafkaError.TOPIC_ALREADY_EXISTS, err.message))
      else if (err instanceof InvalidTopicError) topics.push(fail(KafkaError.INVALID_TOPIC_EXCEPTION, err.message))
      else if (err instanceof InvalidPartitionsError) topics.push(fail(KafkaError.INVALID_PARTITIONS, err.message))
      else throw err
    }
  }
  return { throttleTimeMs: 0, topics }
}

/** DeleteTopics: removes the logs and the committed offsets of the topic. */
export const handleDeleteTopics: Handler<DeleteTopicsRequest, DeleteTopicsResponse> = async (ctx, req) => {
  const topics = []
  for (const name of req.topicNames) {
    try {
      await ctx.logs.deleteTopic(name)
      await ctx.offsets.deleteTopic(name)
      topics.push({ name, errorCode: KafkaError.NONE })
    } catch (err) {
      if (err instanceof UnknownTopicError) topics.push({ name, errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION })
      else throw err
    }
  }
  return { throttleTimeMs: 0, topics }
}
