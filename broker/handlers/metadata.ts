import { KafkaError } from '../protocol/error-codes.ts'
import type { MetadataRequest, MetadataResponse, MetadataTopic } from '../protocol/apis/index.ts'
import { InvalidTopicError, TopicAlreadyExistsError } from '../storage/errors.ts'
import type { BrokerContext, Handler } from './context.ts'

/** Stable id of a single embedded broker's "cluster" (Metadata v2+). */
const CLUSTER_ID = 'livestore-embedded'

/**
 * Metadata: every partition is led by this broker. Unknown topics are created on the spot when
 * auto-creation is on (config and, v4+, the request allow it), so the client gets the partitions
 * in the same answer instead of Kafka's LEADER_NOT_AVAILABLE round trip.
 */
export const handleMetadata: Handler<MetadataRequest, MetadataResponse> = async (ctx, req, info) => {
  const self = ctx.advertised()
  // v0 uses an empty list for "all topics"; v1+ uses null.
  const all = req.topics === null || (info.version === 0 && req.topics.length === 0)
  const names = all ? ctx.logs.topics().map((t) => t.name) : (req.topics ?? [])
  const autoCreate = ctx.config.auto_create_topics && req.allowAutoTopicCreation
  const topics: MetadataTopic[] = []
  for (const name of names) topics.push(await describeTopic(ctx, name, autoCreate, self.nodeId))
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: self.nodeId, host: self.host, port: self.port, rack: null }],
    clusterId: CLUSTER_ID,
    controllerId: self.nodeId,
    topics,
  }
}

async function describeTopic (ctx: BrokerContext, name: string, autoCreate: boolean, nodeId: number): Promise<MetadataTopic> {
  let topic = ctx.logs.topic(name)
  if (topic === undefined && autoCreate) {
    try {
      topic = await ctx.logs.createTopic(name, ctx.config.partitions)
    } catch (err) {
      if (err instanceof InvalidTopicError) return { errorCode: KafkaError.INVALID_TOPIC_EXCEPTION, name, isInternal: false, partitions: [] }
      if (!(err instanceof TopicAlreadyExistsError)) throw err
      topic = ctx.logs.topic(name)
    }
  }
  if (topic === undefined) return { errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION, name, isInternal: false, partitions: [] }
  return {
    errorCode: KafkaError.NONE,
    name,
    isInternal: false,
    partitions: Array.from({ length: topic.partitions }, (_, p) => ({
      errorCode: KafkaError.NONE, partitionIndex: p, leaderId: nodeId, replicaNodes: [nodeId], isrNodes: [nodeId], offlineReplicas: [],
    })),
  }
}
